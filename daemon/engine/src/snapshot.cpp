// Engine snapshots: the entry points. What they hold is listed in snapshot_layout.hpp, how it is
// encoded in snapshot_archive.hpp.
#include "sterifleet/engine/snapshot.hpp"

#include "engine_impl.hpp"
#include "snapshot_layout.hpp"

namespace sterifleet::engine {

namespace {

std::string policy_bytes(const Policy& policy) {
  snapshot_io::BinaryWriter out;
  out("policy", policy);
  return std::move(out).take();
}

// References between records that the engine follows without looking (an index into a vector, an
// alert id it dereferences): a snapshot that breaks one is refused rather than left to crash later.
// `Impl` is Engine::Impl, a private name.
template <class Impl>
void check_references(const Impl& impl) {
  auto refuse = [](const std::string& what) { throw SnapshotError("inconsistent snapshot: " + what); };
  for (const auto& [id, dev] : impl.devices) {
    for (const auto& [session, index] : dev.session_index) {
      if (index >= dev.sessions.size()) refuse("session " + session.str() + " of " + id.str() + " is out of range");
    }
    for (const auto& key : dev.cycles) {
      if (!impl.cycles.contains(key)) refuse("cycle " + key + " of " + id.str() + " is missing");
    }
  }
  if (const auto dangling = SnapshotFields::dangling_alert_ids(impl.alerts); !dangling.empty()) {
    refuse("alert " + dangling.front() + " is indexed but missing");
  }
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::string Engine::snapshot() const {
  snapshot_io::BinaryWriter out;
  snapshot_io::describe_engine(out, std::as_const(*impl_));
  return std::move(out).take();
}

nlohmann::json Engine::snapshot_json() const {
  snapshot_io::JsonWriter out;
  out("format", snapshot_format);
  snapshot_io::describe_engine(out, std::as_const(*impl_));
  return std::move(out).take();
}

Engine Engine::from_snapshot(const Policy& configured, std::string_view bytes) {
  snapshot_io::BinaryReader in(bytes);
  auto impl = std::make_unique<Impl>(configured, Timestamp{});
  snapshot_io::describe_engine(in, *impl);
  in.expect_end();
  check_references(*impl);
  if (policy_bytes(impl->initial_policy) != policy_bytes(configured)) {
    throw SnapshotError(
        "the snapshot's history was judged under another policy than the configured one: rebuilding it from the "
        "journal judges it under the configured policy");
  }
  return Engine(std::move(impl));
}

}  // namespace sterifleet::engine
