// A recall traced through the store: what engine::Engine::recall answers, from records the engine may
// long have compacted away. A report covers any period the store holds, so it cannot ask the engine.
#pragma once

#include <nlohmann/json.hpp>

#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

/// For a cycle whose BI read positive (its stored row): the cycles it recalled (itself and the
/// sterilizer's earlier cycles since its last negative BI, as the engine marked them), the devices in
/// their loads, and every session that used one of those devices after the cycle and before the
/// device's next reprocessing by a cycle that was not recalled. The API's Recall form.
nlohmann::json trace_recall(store::Store& store, const nlohmann::json& positive_cycle);

}  // namespace sterifleet::report
