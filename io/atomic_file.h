// Whole-file reads and crash-safe whole-file writes, for checkpoints and other files a run must never
// leave half-written: a reader sees either the old content or the new, never a mix or a truncation.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace bf {

// Writes `bytes` to `path` atomically: a temp file in the same directory (rename is only atomic within
// one file system), write, fsync, rename over `path`, fsync the directory (so the rename itself survives a
// crash). On any failure (unwritable directory, disk full = short write or ENOSPC, ...) throws bf::Error
// naming the path and the OS error, removes the temp file and leaves any existing `path` untouched.
void write_file_atomically(const std::string& path, const std::string& bytes);

// Writes several files as one set (e.g. a corpus's train.bin, val.bin and corpus.json): every file is
// first written in full to its temp file and fsynced, so a failure to write any of them (a full disk, a
// folder in the way of a name) changes nothing on disk; only then are they renamed into place, in order.
// The last file is the set's index: it is removed before the first rename and renamed last, so a present
// index always describes the files beside it, even after a crash between the renames.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

// Removes the temp files ".NAME.tmp.PID.N" in `dir` left by write_file_atomically in a process that was
// killed mid-write (PID no longer running). Those of live processes are left alone. Never throws.
void remove_stale_temp_files(const std::string& dir);

// The whole content of `path`; bf::Error naming the path and the OS error if it cannot be read, or the kind
// of file when it is not a regular file (a device such as /dev/zero, a FIFO, a folder: those could be read
// without end or block for ever), or its size when it holds more than `max_bytes`.
std::string read_whole_file(const std::string& path,
                            uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

// "" when `path` is a regular file (after following symlinks) or cannot be examined (opening it then gives
// the reason), else what it is: "a directory", "a character device", "a block device", "a FIFO",
// "a socket".
std::string non_regular_file_kind(const std::string& path);

}  // namespace bf
