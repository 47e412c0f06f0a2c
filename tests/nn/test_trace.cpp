// The tape printer behind `bareformer trace`: every preset's tape prints, and the table shows what the
// variant computes (SAS-P has no value/projection weights and no residual add inside its blocks).
#include <doctest/doctest.h>

#include <algorithm>

#include "autograd/tape_print.h"
#include "model_fixtures.h"

using namespace bf;

namespace {

std::string trace_of(const std::string& preset, std::string* dot = nullptr) {
  Gpt model(test::tiny_config(preset), 1);
  TensorNames names;
  for (const Parameter& p : model.parameters().all()) names[&p.value.impl()] = p.name;
  clear_tape();
  Tensor loss = model.loss(test::tokens_from({1, 2, 3, 4}, 1, 4), test::tokens_from({2, 3, 4, 5}, 1, 4));
  std::string table = format_tape_table(tape_entries(), names);
  if (dot) *dot = format_tape_dot(tape_entries(), names, preset);
  CHECK(std::count(table.begin(), table.end(), '\n') > static_cast<long>(tape_entries().size()));
  backward(loss);
  return table;
}

}  // namespace

TEST_CASE("trace prints the tape of every preset, one row per recorded op") {
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    std::string dot;
    const std::string table = trace_of(preset, &dot);
    CHECK(table.find("cross_entropy") != std::string::npos);
    CHECK(table.find("totals per block") != std::string::npos);
    CHECK(dot.rfind("digraph tape {", 0) == 0);
    CHECK(dot.find("tok_emb.weight") != std::string::npos);
  }
}

TEST_CASE("the trace shows the missing values, projection and skips of sas_p next to pre_ln") {
  const std::string pre_ln = trace_of("pre_ln"), sas_p = trace_of("sas_p");
  CHECK(pre_ln.find("blocks.1.attn.v.weight") != std::string::npos);
  CHECK(pre_ln.find("blocks.1.attn.proj.weight") != std::string::npos);
  CHECK(sas_p.find("blocks.1.attn.v.") == std::string::npos);      // identity values after block 0
  CHECK(sas_p.find("blocks.0.attn.v.delta") != std::string::npos);  // block 0 keeps I + dW
  CHECK(sas_p.find("proj.weight") != std::string::npos);             // only the MLP's projection
  CHECK(sas_p.find("attn.proj") == std::string::npos);
  CHECK(sas_p.find("attention_mix") != std::string::npos);
  CHECK(pre_ln.find("attention_mix") == std::string::npos);
}
