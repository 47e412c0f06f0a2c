// docs/walkthrough.md quotes what `bareformer walkthrough` prints; this test fails when they differ.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "experiments/walkthrough.h"

TEST_CASE("every section of the walkthrough appears verbatim in docs/walkthrough.md") {
  std::ifstream in(std::string(BF_SOURCE_DIR) + "/docs/walkthrough.md");
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const std::vector<bf::WalkthroughSection> sections = bf::walkthrough_report();
  CHECK(sections.size() >= 10);
  for (const auto& s : sections) {
    INFO("section " << s.name << ":\n" << s.text);
    CHECK_MESSAGE(doc.str().find("```text\n" + s.text + "```") != std::string::npos,
                  "docs/walkthrough.md no longer matches `bareformer walkthrough`");
  }
}
