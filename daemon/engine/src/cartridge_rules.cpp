#include "cartridge_rules.hpp"

#include <fmt/format.h>

namespace sterifleet::engine {

namespace {

struct Occurrence {
  Timestamp ts;
  DeviceId device;
  std::string trigger;
  std::string summary;
};

// When the pen stopped carrying the cartridge after `after`: it was removed, or another was mounted.
std::optional<Timestamp> unmounted_after(const std::vector<CartridgeChange>* changes, const CartridgeId& cartridge,
                                         Timestamp after) {
  if (!changes) return std::nullopt;
  for (const auto& change : *changes) {
    if (change.ts <= after) continue;
    if (change.removed ? change.cartridge == cartridge : change.cartridge != cartridge) return change.ts;
  }
  return std::nullopt;
}

// Occurrences close together fold into one episode until the cartridge leaves the pen of the latest.
std::vector<Episode> episodes_of(const std::vector<Occurrence>& occurrences, const CartridgeId& cartridge,
                                 const CartridgeChangesOf& changes_of) {
  std::vector<Episode> episodes;
  std::optional<Episode> open;
  const Occurrence* latest = nullptr;
  auto close = [&](std::optional<Timestamp> cleared) {
    if (cleared) {
      open->cleared_at = *cleared;
      open->clearance = "cartridge " + cartridge.str() + " no longer mounted on " + latest->device.str();
    }
    episodes.push_back(std::move(*open));
    open.reset();
  };
  for (const auto& occurrence : occurrences) {
    if (open) {
      const auto cleared = unmounted_after(changes_of(latest->device), cartridge, latest->ts);
      if (!cleared || *cleared > occurrence.ts) {
        ++open->occurrences;
        latest = &occurrence;
        continue;
      }
      close(cleared);
    }
    open = Episode{occurrence.trigger, occurrence.device, occurrence.ts, 1, occurrence.summary, std::nullopt, {}};
    latest = &occurrence;
  }
  if (open) close(unmounted_after(changes_of(latest->device), cartridge, latest->ts));
  return episodes;
}

std::string session_text(const CartridgeUse& use) { return "session " + use.session.str() + " on " + use.device.str(); }

}  // namespace

CartridgeEpisodes derive_cartridge(const CartridgeRecord& cartridge, const CartridgeChangesOf& changes_of,
                                   const SessionOf& session_of) {
  const auto& id = cartridge.spec.id;
  std::vector<Occurrence> reused;
  std::vector<Occurrence> expired;
  std::vector<Occurrence> overused;
  for (std::size_t i = 0; i < cartridge.uses.size(); ++i) {
    const auto& use = cartridge.uses[i];
    if (i > 0) {
      reused.push_back({use.ts, use.device, use.key,
                        "cartridge " + id.str() + " reused in " + session_text(use) + " (first used in " +
                            session_text(cartridge.uses.front()) + ")"});
    }
    const SessionRecord* session = session_of(use.device, use.session);
    const auto& spec = session ? session->start.cartridge : cartridge.spec;
    if (protocol::utc_date(use.ts) > spec.expires) {
      expired.push_back({use.ts, use.device, use.key,
                         "cartridge " + id.str() + " expired on " + protocol::format_date(spec.expires) + ", used in " +
                             session_text(use)});
    }
    if (session && session->end) {
      const auto& end = *session->end;
      const bool too_many_strokes = end.strokes > spec.max_strokes;
      const bool too_long = spec.max_runtime && end.runtime > *spec.max_runtime;
      if (too_many_strokes || too_long) {
        const auto detail =
            fmt::format("{} strokes (rated {}), {} s (rated {})", end.strokes, spec.max_strokes, end.runtime.count(),
                        spec.max_runtime ? std::to_string(spec.max_runtime->count()) : "-");
        overused.push_back({*session->ended, use.device, use.key + "/end",
                            "cartridge " + id.str() + " overused in " + session_text(use) + ": " + detail});
      }
    }
  }
  return {episodes_of(reused, id, changes_of), episodes_of(expired, id, changes_of),
          episodes_of(overused, id, changes_of)};
}

}  // namespace sterifleet::engine
