// One training step of a tiny SAS-P model followed op by op (docs/walkthrough.md). The report is a list
// of named sections; the document quotes them verbatim and a test checks that it still does.
#pragma once
#include <string>
#include <vector>

namespace bf {

struct WalkthroughSection {
  std::string name;  // e.g. "shaped-attention-at-init"
  std::string text;  // what the engine printed for that stage
};

// 2 layers, d 8, 2 heads, T 4, vocab 11, in f64 with a fixed seed.
std::vector<WalkthroughSection> walkthrough_report();
std::string walkthrough_text();  // every section, each under a "## name" line

}  // namespace bf
