#include "nn/probe.h"

#include "autograd/ops.h"

namespace bf {
namespace {

// A of block `block` in the tape entries [from, last] of its forward pass; empty when none is there.
RecordedAttention attention_of(const std::vector<TapeEntry>& tape, const Block& block, size_t from, size_t last,
                               int64_t d_model) {
  const std::string attn = block.name() + ".attn";
  for (size_t i = last + 1; i > from; --i) {
    const TapeEntry& e = tape[i - 1];
    if (!scope_within(e.scope, attn)) continue;
    if (e.op == "scale+softmax_causal" || e.op == "softmax_causal") return {e.output, Tensor(), 0};
    if (e.op == "scale+softmax_causal+attention_mix")
      return {Tensor(), e.inputs.at(0), block.attention().score_scale(d_model)};
  }
  return {};
}

}  // namespace

Tensor RecordedAttention::probabilities() const {
  if (probs.defined() || !scores.defined()) return probs;
  NoGradGuard no_grad;  // read, not differentiated: nothing is recorded
  return causal_attention_probs(scores, scale);
}

ForwardProbe probe_from_tape(const Gpt& model) {
  const std::vector<TapeEntry>& tape = tape_entries();
  const int64_t embed = last_entry_within(tape, "embed");
  BF_CHECK(embed >= 0, "diagnostics: the tape holds no forward pass of the model (run the forward with grad mode "
           "on, not under NoGradGuard, and read it before backward)");
  ForwardProbe probe;
  probe.embedding_output = tape[embed].output;
  size_t from = static_cast<size_t>(embed) + 1;
  for (const Block& block : model.blocks()) {
    const int64_t last = last_entry_within(tape, block.name(), from);
    BF_CHECK(last >= 0, "diagnostics: the tape holds no op of ", block.name(), " after the embedding");
    probe.block_outputs.push_back(tape[last].output);
    probe.attention.push_back(attention_of(tape, block, from, static_cast<size_t>(last), model.config().d_model));
    from = static_cast<size_t>(last) + 1;
  }
  return probe;
}

}  // namespace bf
