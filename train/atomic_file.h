// Whole-file reads and crash-safe whole-file writes, for checkpoints and other files a run must never
// leave half-written: a reader sees either the old content or the new, never a mix or a truncation.
#pragma once
#include <string>

namespace bf {

// Writes `bytes` to `path` atomically: a temp file in the same directory (rename is only atomic within
// one file system), write, fsync, rename over `path`, fsync the directory (so the rename itself survives a
// crash). On any failure (unwritable directory, disk full = short write or ENOSPC, ...) throws bf::Error
// naming the path and the OS error, removes the temp file and leaves any existing `path` untouched.
void write_file_atomically(const std::string& path, const std::string& bytes);

// Removes the temp files ".NAME.tmp.PID.N" in `dir` left by write_file_atomically in a process that was
// killed mid-write (PID no longer running). Those of live processes are left alone. Never throws.
void remove_stale_temp_files(const std::string& dir);

// The whole content of `path`; bf::Error naming the path and the OS error if it cannot be read.
std::string read_whole_file(const std::string& path);

}  // namespace bf
