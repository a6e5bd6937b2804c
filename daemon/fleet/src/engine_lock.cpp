#include "sterifleet/fleet/engine_lock.hpp"

#include <system_error>

namespace sterifleet::fleet {

namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

}  // namespace

EngineLock::EngineLock() {
  pthread_rwlockattr_t attributes;
  check(pthread_rwlockattr_init(&attributes), "pthread_rwlockattr_init");
  check(pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
        "pthread_rwlockattr_setkind_np");
  check(pthread_rwlock_init(&lock_, &attributes), "pthread_rwlock_init");
  pthread_rwlockattr_destroy(&attributes);
}

EngineLock::~EngineLock() { pthread_rwlock_destroy(&lock_); }

void EngineLock::lock() { check(pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock"); }
bool EngineLock::try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
void EngineLock::unlock() { pthread_rwlock_unlock(&lock_); }
void EngineLock::lock_shared() { check(pthread_rwlock_rdlock(&lock_), "pthread_rwlock_rdlock"); }
bool EngineLock::try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
void EngineLock::unlock_shared() { pthread_rwlock_unlock(&lock_); }

}  // namespace sterifleet::fleet
