#include "boot_persister.hpp"

#include <exception>

namespace sterifleet::sim {

BootPersister::BootPersister(StateStore& state, Inbox& inbox)
    : state_(state), inbox_(inbox), worker_([this] { run(); }) {}

BootPersister::~BootPersister() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  pending_cv_.notify_one();
  worker_.join();
}

void BootPersister::persist(std::size_t link, const std::string& device, std::uint32_t boot) {
  {
    const std::lock_guard lock(mutex_);
    pending_.push_back(Request{link, device, boot});
  }
  pending_cv_.notify_one();
}

void BootPersister::run() {
  while (true) {
    std::vector<Request> batch;
    {
      std::unique_lock lock(mutex_);
      pending_cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      batch.swap(pending_);
    }
    std::map<std::string, std::uint32_t> boots;
    for (const auto& request : batch) boots[request.device] = request.boot;
    try {
      state_.set_boots(boots);
    } catch (const std::exception& e) {
      inbox_.post(Inbound{Inbound::Kind::persist_failed, batch.front().link, 0, false, {}, e.what()});
      continue;
    }
    for (const auto& request : batch) {
      inbox_.post(Inbound{Inbound::Kind::persisted, request.link, request.boot, false, {}, {}});
    }
  }
}

}  // namespace sterifleet::sim
