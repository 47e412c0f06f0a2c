// Where a result came from. The version and git commit this program was built from (captured at build
// time by cmake/BuildInfo.cmake: every build refreshes it, so a rebuild after a commit reports the new
// one; "unknown" outside a git checkout, "+dirty" after the hash when tracked files had uncommitted
// changes), and the facts of a run that metrics.jsonl's start event records.
#pragma once
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace bf {

const char* build_version();  // the project version, e.g. "0.1.0" (CMakeLists.txt's project())
const char* build_commit();   // the full git hash, hash + "+dirty", or "unknown"
std::string version_line();   // "bareformer 0.1.0 (commit <hash>)", what --version prints

// The command line a run was started with, recorded once by main(); empty when never recorded (tests).
void record_command_line(int argc, const char* const* argv);
// The recorded words joined by spaces, each quoted for a POSIX shell where it needs it (so it can be
// pasted back), e.g.  bareformer train configs/sas.json --set 'run.out_dir=runs/a b'
std::string command_line();
std::string shell_quote(const std::string& word);

std::string host_name();  // gethostname(), "unknown" when it fails
// ISO 8601 in UTC to the second: "2026-12-01T07:17:56Z".
std::string utc_iso8601(std::chrono::system_clock::time_point when);

// {version, commit, command, host, started_utc (now), threads, gemm}: the provenance fields of the
// start event.
nlohmann::json run_provenance();

}  // namespace bf
