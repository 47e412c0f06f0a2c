// Command-line flags for the bench programs: `--name value` pairs, `--help` prints the usage, and an
// unknown flag, a flag without its value or a value that is not a number where one is expected is an
// error naming it (exit status 2), never silently ignored.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bf::bench {

struct Flag {
  std::string name;  // "--size"
  std::string* text = nullptr;  // a string flag, or
  int* number = nullptr;        // an integer flag
};

// Returns -1 when the program should go on, else the exit status (0 after --help, 2 after an error).
inline int parse_flags(int argc, char** argv, const char* program, const char* usage, const std::vector<Flag>& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s %s\n", program, usage);
      return 0;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags)
      if (f.name == arg) flag = &f;
    if (!flag) {
      std::fprintf(stderr, "%s: unknown argument \"%s\"\nusage: %s %s\n", program, arg.c_str(), program, usage);
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\nusage: %s %s\n", program, arg.c_str(), program, usage);
      return 2;
    }
    const std::string value = argv[++i];
    if (flag->text) {
      *flag->text = value;
    } else {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < -1000000000L || v > 1000000000L) {
        std::fprintf(stderr, "%s: %s expects an integer, got \"%s\"\n", program, arg.c_str(), value.c_str());
        return 2;
      }
      *flag->number = int(v);
    }
  }
  return -1;
}

}  // namespace bf::bench
