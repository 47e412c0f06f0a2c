// One process per run folder. Two trainings writing one run.out_dir interleave their checkpoints,
// config.json and metrics.jsonl into a folder that belongs to neither; so a run holds an exclusive
// flock(2) on RUN_DIR/.lock for as long as it trains. The kernel drops the lock when the holder's file
// descriptor closes, which happens on any exit, SIGKILL included, so a killed run never leaves a stale
// lock behind. The holder writes its pid into the file, for the message a second process gets.
#pragma once
#include <string>

namespace bf {

class RunLock {
 public:
  // Takes the lock on `run_dir` (which must exist) without waiting. bf::Error naming the folder and the
  // holder's pid when another process holds it, or the OS error when the lock file cannot be opened.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  static std::string lock_path(const std::string& run_dir);  // RUN_DIR/.lock

 private:
  int fd_ = -1;
};

}  // namespace bf
