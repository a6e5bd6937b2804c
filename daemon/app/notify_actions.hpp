// The API's actions on receivers (send a test notification, enable a receiver disabled after a 410):
// for the single daemon through its Notifier, for any daemon of a cluster from the [notify]
// configuration and its front store, since receivers serve the whole fleet and no shard owns them.
#pragma once

#include <functional>

#include "sterifleet/http/api.hpp"
#include "sterifleet/notify/notifier.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

/// The single daemon's: `notifier` (null without receivers) is read when an action comes, so it may be
/// made after the actions; `store` serves enabling when there is none.
http::NotifyActions notify_actions(const std::unique_ptr<notify::Notifier>& notifier, store::Store& store);

/// A cluster daemon's: a test is sent from this daemon with `config`'s receivers (no outbox is involved);
/// enabling forgets the receiver in `front` (a read-only PostgreSQL store may: no lease is needed), and
/// each shard's dispatcher reads it there before its next deliveries. `config` and `front` must outlive
/// the actions. Empty test action without receivers, as in the single daemon.
http::NotifyActions cluster_notify_actions(const notify::NotifyConfig& config, store::Store& front,
                                           std::function<protocol::Timestamp()> clock);

}  // namespace sterifleet::app
