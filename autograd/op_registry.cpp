#include "autograd/op_registry.h"

#include <algorithm>
#include <array>
#include <sstream>

#include "core/error.h"

namespace bf {

#define BF_DECLARE_OP_FILE(file) int op_file_##file();
BF_OP_FILES(BF_DECLARE_OP_FILE)
#undef BF_DECLARE_OP_FILE

namespace {

constexpr std::array op_files = {
#define BF_OP_FILE_NAME(file) std::string_view(#file),
    BF_OP_FILES(BF_OP_FILE_NAME)
#undef BF_OP_FILE_NAME
};

struct Registered {
  OpInfo info;
  int line;
};

// Filled during static initialisation, one entry per BF_OP line; a function-local static so that it exists
// before the first registration whatever the order the op files are initialised in.
std::vector<Registered>& registrations() {
  static std::vector<Registered> all;
  return all;
}

int file_index(std::string_view file) {
  return int(std::find(op_files.begin(), op_files.end(), file) - op_files.begin());
}

}  // namespace

namespace detail {
bool register_op(const OpInfo& info, int line) {
  registrations().push_back({info, line});
  return true;
}
}  // namespace detail

const std::vector<OpInfo>& op_registry() {
  static const std::vector<OpInfo> sorted = [] {
    // Reference every op file so that a program linking the registry links all of their entries.
    int anchors = 0;
#define BF_TOUCH_OP_FILE(file) anchors += op_file_##file();
    BF_OP_FILES(BF_TOUCH_OP_FILE)
#undef BF_TOUCH_OP_FILE
    std::vector<Registered> all = registrations();
    for (const Registered& r : all)
      BF_CHECK(file_index(r.info.file) < int(op_files.size()), "op registry: op ", r.info.name, " names file ",
               r.info.file, ", which is not in BF_OP_FILES");
    std::stable_sort(all.begin(), all.end(), [](const Registered& a, const Registered& b) {
      const int fa = file_index(a.info.file), fb = file_index(b.info.file);
      return fa != fb ? fa < fb : a.line < b.line;
    });
    std::vector<OpInfo> ops;
    for (const Registered& r : all) ops.push_back(r.info);
    static_cast<void>(anchors);
    return ops;
  }();
  return sorted;
}

const OpInfo* find_op(std::string_view name) {
  for (const OpInfo& op : op_registry())
    if (op.name == name) return &op;
  return nullptr;
}

std::string op_registry_markdown() {
  std::ostringstream md;
  md << "| op | forward | backward | reads in backward (extra saved) | autograd file | CPU kernel files |\n"
     << "|---|---|---|---|---|---|\n";
  for (const OpInfo& op : op_registry()) {
    md << "| " << op.name << " | `" << op.forward << "` | `" << op.backward << "` | " << op.saves << " | ops/"
       << op.file << ".cpp | ";
    std::istringstream families{std::string(op.kernel_families)};
    std::string family;
    for (bool first = true; families >> family; first = false) md << (first ? "" : ", ") << "cpu/" << family << ".cpp";
    md << " |\n";
  }
  return md.str();
}

}  // namespace bf
