// An exclusive lock on a data directory, so two csopsd processes never share SQLite files by
// accident (a second one would see consistent data, but counters and timers would double).
// The lock is an flock() on <dir>/csopsd.lock and dies with the process, even on SIGKILL.
// csopsctl migrate takes the same lock (library csopsd_data_dir_lock), so it refuses a data
// directory a csopsd is using, and no csopsd starts on one while it is being copied.
#pragma once

#include <memory>
#include <string>

#include "common/base/status.h"

namespace csops::csopsd {

class DataDirLock {
 public:
  // Creates `dir` if missing and locks it. kFailedPrecondition when another process holds it;
  // kUnavailable when the directory cannot be created or written.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir);
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace csops::csopsd
