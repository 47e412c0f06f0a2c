// What the diagnostics (nn/diagnostics.h) read off the tape of a forward pass: each block's output and
// each block's attention probabilities A = softmax(Q K^T / sqrt(d_k) + M) (before shaping). The forward
// pass hands nothing back: every op's output is on the tape (autograd/tape.h) under the scope of the layer
// that recorded it, so the probe finds
//   the embedding output   the output of the last op recorded within "embed";
//   block i's output       the output of the last op recorded within "blocks.i" (its attn/mlp included);
//   block i's A            the output of the causal softmax within "blocks.i.attn" ("scale+softmax_causal",
//                          or "softmax_causal" where a backend has no fused kernel); where the fused op also
//                          mixes (shaped, skipinit) its output is A' and A is recomputed from the op's
//                          recorded scores by the same kernel without the mix (no gradient, no random draws,
//                          the same values as the A the op keeps for its backward).
#pragma once
#include <vector>

#include "nn/gpt.h"

namespace bf {

struct ForwardProbe {
  Tensor embedding_output;              // [B, T, d], the input of block 0
  std::vector<Tensor> block_outputs;    // [B, T, d] per block
  std::vector<Tensor> attention_probs;  // [B, H, T, T] per block
};

// Reads the last forward pass of `model` on the tape: call it after model.forward / model.loss with grad
// mode on and before backward() (which frees the tape). Under NoGradGuard nothing is recorded: bf::Error.
ForwardProbe probe_from_tape(const Gpt& model);

}  // namespace bf
