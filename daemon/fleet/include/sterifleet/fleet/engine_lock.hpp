// A readers-writer lock that lets a waiting writer in before new readers: the Fleet's input path takes
// it exclusively for the microseconds one input changes the engine, and the API's reads share it. With
// glibc's default (readers first), a steady stream of overlapping reads could hold the input path off
// indefinitely. Meets the SharedMutex requirements, for std::unique_lock and std::shared_lock.
#pragma once

#include <pthread.h>

namespace sterifleet::fleet {

class EngineLock {
 public:
  EngineLock();
  ~EngineLock();
  EngineLock(const EngineLock&) = delete;
  EngineLock& operator=(const EngineLock&) = delete;

  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

}  // namespace sterifleet::fleet
