// What the diagnostics (nn/diagnostics.h) read off the tape of a forward pass: each block's output and
// each block's attention probabilities A = softmax(Q K^T / sqrt(d_k) + M) (before shaping). The forward
// pass hands nothing back: every op's output is on the tape (autograd/tape.h) under the scope of the layer
// that recorded it, so the probe finds
//   the embedding output   the output of the last op recorded within "embed";
//   block i's output       the output of the last op recorded within "blocks.i" (its attn/mlp included);
//   block i's A            the output of the causal softmax within "blocks.i.attn" ("scale+softmax_causal",
//                          or "softmax_causal" where a backend has no fused kernel); where the fused op also
//                          mixes (shaped, skipinit) its output is A', and the probe keeps the op's recorded
//                          scores X instead, from which A is computed when read (RecordedAttention).
#pragma once
#include <vector>

#include "nn/gpt.h"

namespace bf {

// One block's A as the tape holds it: A itself, or the scores X of the fused op that mixed it into A'.
// Keeping X and computing A on read holds one [B, H, T, T] per block through the backward, as the op's
// own recording does, rather than a second copy beside it.
struct RecordedAttention {
  Tensor probs;       // A [B, H, T, T], where the tape holds it
  Tensor scores;      // else X [B, H, T, T] and the scale s = 1/sqrt(d_k)
  double scale = 0;
  // A = softmax(s X + M) by the fused op's own kernel without the mix (the values the op kept for its
  // backward; no gradient, no random draws); undefined when the block recorded neither.
  Tensor probabilities() const;
};

struct ForwardProbe {
  Tensor embedding_output;                  // [B, T, d], the input of block 0
  std::vector<Tensor> block_outputs;        // [B, T, d] per block
  std::vector<RecordedAttention> attention;  // per block
};

// Reads the last forward pass of `model` on the tape: call it after model.forward / model.loss with grad
// mode on and before backward() (which frees the tape). Under NoGradGuard nothing is recorded: bf::Error.
ForwardProbe probe_from_tape(const Gpt& model);

}  // namespace bf
