// The op registry against what it describes: the ops declared in autograd/ops.h, the gradcheck cases, the
// kernel families of backends/kernel_list.h, and docs/ops.md's summary table.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "autograd/gradcheck_cases.h"
#include "autograd/op_registry.h"
#include "backends/kernel_list.h"

namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(BF_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), "cannot read ", relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> registered_names() {
  std::set<std::string> names;
  for (const bf::OpInfo& op : bf::op_registry()) names.insert(std::string(op.name));
  return names;
}

}  // namespace

TEST_CASE("the registry holds every op declared in autograd/ops.h, once each, with its math") {
  std::set<std::string> declared;
  const std::string header = read_source("autograd/ops.h");
  // Every line "Tensor NAME(" declares an op. (A scan rather than std::regex: GCC 12's -O2 sanitizer build
  // warns inside <regex>, and the warnings are errors.)
  for (size_t at = header.find("\nTensor "); at != std::string::npos; at = header.find("\nTensor ", at + 1)) {
    const size_t name = at + 8, paren = header.find('(', name);
    const std::string word = header.substr(name, paren - name);
    if (paren != std::string::npos && !word.empty() &&
        std::all_of(word.begin(), word.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
      declared.insert(word);
  }
  REQUIRE(declared.size() >= 20);
  CHECK(registered_names() == declared);
  CHECK(registered_names().size() == bf::op_registry().size());
  for (const bf::OpInfo& op : bf::op_registry()) {
    INFO(op.name);
    CHECK(!op.forward.empty());
    CHECK(!op.backward.empty());
    CHECK(!op.saves.empty());
    CHECK(bf::find_op(op.name) == &op);
  }
  CHECK(bf::find_op("no_such_op") == nullptr);
}

TEST_CASE("every registered op has a gradcheck case and every case checks a registered op") {
  std::set<std::string> checked;
  for (const bf::GradcheckCase& c : bf::gradcheck_cases()) {
    INFO(c.name);
    CHECK_MESSAGE(bf::find_op(c.op) != nullptr, "case ", c.name, " names op ", c.op, ", which is not registered");
    CHECK(c.name.rfind(c.op, 0) == 0);  // a variant's name starts with its op's
    checked.insert(c.op);
  }
  for (const bf::OpInfo& op : bf::op_registry())
    CHECK_MESSAGE(checked.count(std::string(op.name)), "registered op ", op.name, " has no gradcheck case");
}

TEST_CASE("every op names its own file and kernel families of backends/kernel_list.h") {
  std::set<std::string> families;
#define BF_FAMILY_NAME(family, unused) families.insert(#family);
  BF_KERNEL_FAMILIES(BF_FAMILY_NAME, 0)
  BF_OPTIONAL_KERNEL_FAMILIES(BF_FAMILY_NAME, 0)
#undef BF_FAMILY_NAME
  for (const bf::OpInfo& op : bf::op_registry()) {
    INFO(op.name);
    const std::string file = read_source("autograd/ops/" + std::string(op.file) + ".cpp");
    CHECK(file.find("BF_OP(" + std::string(op.name) + ",") != std::string::npos);
    std::istringstream words{std::string(op.kernel_families)};
    int count = 0;
    for (std::string family; words >> family; ++count) CHECK_MESSAGE(families.count(family), family, " is no kernel family");
    CHECK(count > 0);
  }
}

TEST_CASE("docs/ops.md holds the registry's summary table (regenerate with bareformer gradcheck --ops-markdown)") {
  const std::string table = bf::op_registry_markdown();
  CHECK(table.find("| rms_norm | ") != std::string::npos);
  CHECK_MESSAGE(read_source("docs/ops.md").find(table) != std::string::npos,
                "docs/ops.md is out of date: regenerate its summary table with `bareformer gradcheck --ops-markdown`");
}
