#include "train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace bf {
namespace {

// The pid the holder wrote, or "unknown" while it has not written it yet (it locks, then writes).
std::string holder_pid(int fd) {
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  return digits ? text : "unknown";
}

}  // namespace

std::string RunLock::lock_path(const std::string& run_dir) { return run_dir + "/.lock"; }

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = lock_path(run_dir);
  // O_CLOEXEC: a child process must not inherit (and so keep alive) the lock.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(run_dir, ": cannot open the run folder's lock file ", path, " (", std::strerror(errno), ")");
  int status;
  while ((status = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (status != 0) {
    const int err = errno;
    const std::string pid = err == EWOULDBLOCK ? holder_pid(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      fail(run_dir, " is in use by another bareformer process (pid ", pid, " holds ", path,
           "); wait for it to finish, or choose another run.out_dir");
    fail(run_dir, ": cannot lock ", path, " (", std::strerror(err), ")");
  }
  // Ours now: record who holds it. A failure here only costs the next process's message its pid.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace bf
