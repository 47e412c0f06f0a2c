// Runs the `bareformer` binary as a child process, for the tests that check what a user sees (exit
// status and message) or that kill a training run part way (tests/train/test_errors.cpp,
// tests/train/test_crash_safety.cpp). BF_BAREFORMER_BIN is the binary's path (tests/CMakeLists.txt).
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "scratch.h"

namespace bf::test {

struct ChildOptions {
  std::string output_path;     // stdout and stderr together go here ("" = /dev/null)
  long file_size_limit = -1;   // RLIMIT_FSIZE in bytes for the child (a full disk, as seen by write())
  // With a file size limit, SIGXFSZ is ignored in the child unless this is false (then the program's own
  // handling of the signal is what is tested).
  bool ignore_sigxfsz = true;
  // RLIMIT_AS in bytes for the child: a safety net for tests of unbounded reads. Not applied under
  // AddressSanitizer, whose shadow memory reserves terabytes of address space.
  long memory_limit = -1;
};

// Starts `bareformer args...`; returns its pid.
inline pid_t start_bareformer(const std::vector<std::string>& args, const ChildOptions& options = {}) {
  std::vector<std::string> argv_strings = {BF_BAREFORMER_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string out = options.output_path.empty() ? "/dev/null" : options.output_path;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) ::_exit(120);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(STDIN_FILENO);
    if (options.file_size_limit >= 0) {
      // Writing past the limit raises SIGXFSZ, which would kill the child; ignored (inherited through
      // exec), write() instead returns short and then fails with EFBIG, as it fails with ENOSPC on a
      // full disk.
      if (options.ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{static_cast<rlim_t>(options.file_size_limit), static_cast<rlim_t>(options.file_size_limit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(121);
    }
#if !defined(__SANITIZE_ADDRESS__)
    if (options.memory_limit >= 0) {
      rlimit limit{static_cast<rlim_t>(options.memory_limit), static_cast<rlim_t>(options.memory_limit)};
      if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(122);
    }
#endif
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for the child; returns its exit status, or 128 + the signal that ended it.
inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct ChildResult {
  int status = 0;
  std::string output;  // stdout + stderr
};

// Runs `bareformer args...` to completion, capturing its output in `scratch` (a file path).
inline ChildResult run_bareformer(const std::vector<std::string>& args, const std::string& scratch,
                                  long file_size_limit = -1) {
  ChildOptions options;
  options.output_path = scratch;
  options.file_size_limit = file_size_limit;
  ChildResult r;
  r.status = wait_for(start_bareformer(args, options));
  r.output = read_bytes(scratch);
  return r;
}

// The same with every option given (options.output_path is where the output goes).
inline ChildResult run_bareformer(const std::vector<std::string>& args, const ChildOptions& options) {
  ChildResult r;
  r.status = wait_for(start_bareformer(args, options));
  r.output = read_bytes(options.output_path);
  return r;
}

}  // namespace bf::test
