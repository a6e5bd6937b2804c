#include "checkpoint_signer.hpp"

#include <spdlog/spdlog.h>

#include "sterifleet/checkpoint/checkpoint_file.hpp"

namespace sterifleet::app {

CheckpointSigner::CheckpointSigner(crypto::SigningKey key, std::filesystem::path file, store::Store& store,
                                   Publish publish, std::function<protocol::Timestamp()> clock)
    : key_(std::move(key)),
      file_(std::move(file)),
      store_(store),
      publish_(std::move(publish)),
      clock_(std::move(clock)),
      last_{-1, ""} {}

checkpoint::Checkpoint CheckpointSigner::sign(const store::AuditHead& head) {
  return sign(head, Forwarding::unless_recent);
}

checkpoint::Checkpoint CheckpointSigner::sign(const store::AuditHead& head, Forwarding forwarding) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  const auto signed_head = checkpoint::sign(key_, store_, head, now);
  checkpoint::append_checkpoint(file_, signed_head);
  publish_(std::string(checkpoint_topic), checkpoint::to_line(signed_head));
  const bool recent = forwarded_at_ && now - *forwarded_at_ < report_forward_interval;
  if (forward_ && (forwarding == Forwarding::always || !recent)) {
    forward_(signed_head);
    forwarded_at_ = now;
  }
  last_ = head;
  spdlog::debug("audit checkpoint signed: record {}, hash {}", head.seq, head.hash);
  return signed_head;
}

bool CheckpointSigner::sign_if_grown() {
  const auto head = store_.audit_head();
  {
    std::lock_guard lock(mutex_);
    if (head.seq == last_.seq && head.hash == last_.hash) return false;
  }
  sign(head, Forwarding::always);
  return true;
}

}  // namespace sterifleet::app
