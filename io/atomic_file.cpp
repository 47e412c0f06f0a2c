#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace bf {
namespace {

std::string os_error(int err) { return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")"; }

// Closes a file descriptor on scope exit unless release()d; keeps every early throw leak-free.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// What a file that is not a regular file is, for messages ("" for a regular file).
std::string file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Writes all of `bytes`, retrying short writes and EINTR. Returns 0 or the errno of the failure; a
// write that makes no progress is reported as ENOSPC (the disk-full case some file systems signal so).
int write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ENOSPC;
    done += static_cast<size_t>(n);
  }
  return 0;
}


// A file written in full to its temp sibling and fsynced, not yet renamed into place.
struct StagedFile {
  std::string path, temp, dir;
};

StagedFile stage_file(const std::string& path, const std::string& bytes) {
  BF_CHECK(!path.empty(), "write_file_atomically: empty path");
  // A unique hidden sibling: same directory so rename() is atomic; pid + counter so concurrent writers
  // (processes or threads) never share one. open(O_CREAT | O_EXCL, 0666) rather than mkstemp keeps the
  // usual umask-derived permissions on the final file (mkstemp would make it 0600).
  static std::atomic<unsigned> counter{0};
  StagedFile staged{path, "", directory_of(path)};
  const size_t slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    staged.temp = (staged.dir == "/" ? "" : staged.dir) + "/." + base + ".tmp." + std::to_string(::getpid()) + "." +
                  std::to_string(counter.fetch_add(1));
    fd = ::open(staged.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 100))
      fail("cannot write '", path, "': creating temporary file '", staged.temp, "' failed: ", os_error(errno));
  }
  Fd file(fd);

  // From here on every failure removes the temp file; `path` is not touched until the rename.
  auto give_up = [&](const std::string& step, int err) {
    if (file.get() >= 0) ::close(file.release());
    ::unlink(staged.temp.c_str());
    fail("cannot write '", path, "': ", step, " failed: ", os_error(err));
  };
  if (int err = write_all(file.get(), bytes)) give_up("writing " + std::to_string(bytes.size()) + " bytes", err);
  // fsync before rename: otherwise a crash can leave the new name pointing at a file whose data never
  // reached the disk (the classic zero-length-file-after-crash bug).
  if (::fsync(file.get()) != 0) give_up("fsync", errno);
  // close() can report deferred write errors (e.g. on network file systems), so it is checked too.
  if (::close(file.release()) != 0) give_up("close", errno);
  return staged;
}

void commit_file(const StagedFile& staged) {
  if (::rename(staged.temp.c_str(), staged.path.c_str()) != 0) {
    const int err = errno;
    ::unlink(staged.temp.c_str());
    fail("cannot write '", staged.path, "': rename of '", staged.temp, "' failed: ", os_error(err));
  }
}

// The new content is in place; fsync the directory so the rename itself is durable. Some file systems
// cannot fsync a directory (EINVAL); there is nothing more to do on those.
void sync_directory(const std::string& path, const std::string& dir) {
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) fail("wrote '", path, "' but cannot open its directory to fsync it: ", os_error(errno));
  if (::fsync(dir_fd.get()) != 0 && errno != EINVAL)
    fail("wrote '", path, "' but fsync of its directory '", dir, "' failed: ", os_error(errno));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const StagedFile staged = stage_file(path, bytes);
  commit_file(staged);
  sync_directory(path, staged.dir);
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  if (files.empty()) return;
  std::vector<StagedFile> staged;
  auto discard = [&] {
    for (const StagedFile& f : staged) ::unlink(f.temp.c_str());
  };
  try {
    for (const auto& [path, bytes] : files) {
      // A folder where a file belongs would fail its rename part way through the set: refused up front.
      struct stat info {};
      if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        fail("cannot write '", path, "': it is a directory; none of the ", files.size(), " files of the set (",
             files.front().first, ", ...) was written");
      staged.push_back(stage_file(path, bytes));
    }
  } catch (const Error&) {
    discard();
    throw;
  }
  // The index (the last file) goes first, so no index is ever beside files it does not describe.
  if (::unlink(files.back().first.c_str()) != 0 && errno != ENOENT) {
    const int err = errno;
    discard();
    fail("cannot write '", files.back().first, "': removing the old file failed: ", os_error(err));
  }
  for (size_t i = 0; i < staged.size(); ++i) {
    try {
      commit_file(staged[i]);
    } catch (const Error&) {
      for (size_t j = i + 1; j < staged.size(); ++j) ::unlink(staged[j].temp.c_str());
      throw;
    }
  }
  for (const StagedFile& f : staged) sync_directory(f.path, f.dir);
}

void remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    // ".NAME.tmp.PID.N": find the PID between the last ".tmp." and the final '.'.
    const size_t tmp = name.rfind(".tmp.");
    if (name.empty() || name[0] != '.' || tmp == std::string::npos || tmp == 0) continue;
    const size_t pid_begin = tmp + 5, pid_end = name.find('.', pid_begin);
    if (pid_end == std::string::npos || pid_end == pid_begin) continue;
    const std::string pid_text = name.substr(pid_begin, pid_end - pid_begin);
    if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    const bool alive = pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM;
    if (!alive) std::filesystem::remove(entry.path(), ec);
  }
}

std::string non_regular_file_kind(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";
  return file_kind(info.st_mode);
}

std::string read_whole_file(const std::string& path, uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the file is refused right after.
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0) fail("cannot read '", path, "': ", os_error(errno));
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) fail("cannot read '", path, "': fstat failed: ", os_error(errno));
  const std::string kind = file_kind(info.st_mode);
  if (!kind.empty()) fail("cannot read '", path, "': not a regular file (", kind, ")");
  if (static_cast<uint64_t>(info.st_size) > max_bytes)
    fail("cannot read '", path, "': ", info.st_size, " bytes, more than the ", max_bytes, "-byte limit for it");
  std::string bytes;
  // The size is only a hint (the file may change under us): read to EOF, but never past max_bytes.
  if (info.st_size > 0) bytes.reserve(static_cast<size_t>(info.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read '", path, "': ", os_error(errno));
    }
    if (n == 0) break;
    if (static_cast<uint64_t>(bytes.size()) + static_cast<uint64_t>(n) > max_bytes)
      fail("cannot read '", path, "': it grew past the ", max_bytes, "-byte limit for it while being read");
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace bf
