"""Independent PyTorch reference ("oracle") for bareformer's transformer block family.

Written from the paper (He & Hofmann, "Simplifying Transformer Blocks", ICLR 2024) and the authors' code
(github.com/bobby-he/simplified_transformers: myGPT2Block, myGPT2Attention and MyConv1D in
simplified_transformers/model_utils.py, the yaml files in simplified_transformers/config/model/, and
exp_scripts/baseline_comparison.sh), not from the C++ code. Where the paper's text and the code differ, the
official presets follow the code (it produced the paper's figures) and the paper's or the textbook's form is
an alternate preset: post_ln_textbook, vskipinit_eq4. One Block class is driven by a spec dict, the same way
the C++ BlockSpec drives nn::Block. Everything here runs in float64; see make_fixtures.py for how the
committed fixtures are produced.

Block equations (x: [B, T, d]):
  sequential (Eq. 1): h   = a_SA*x + b_SA*MHA(norm1(x));  out = a_FF*h + b_FF*MLP(norm2(h))
  post (the authors' norm_position: post, myGPT2Block.forward):
                      xn  = norm1(x); h = a_SA*xn + b_SA*MHA(xn);  hn = norm2(h); out = a_FF*hn + b_FF*MLP(hn)
  post_textbook:      h   = norm1(a_SA*x + b_SA*MHA(x));  out = norm2(a_FF*h + b_FF*MLP(h))
  parallel   (Eq. 7): out = a_comb*x + b_SA*MHA(norm1(x)) + b_FF*MLP(norm1(x))   (a_comb stored as a_FF)
A gain equal to 0 means that term is not computed. Trainable gains are parameters blocks.{i}.gain.<name>
of shape [1]; fixed gains are plain Python floats (no parameter).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-5
GAIN_NAMES = ("a_SA", "b_SA", "a_FF", "b_FF")


# --------------------------------------------------------------------------------------------------
# presets


def _gains(a_SA, b_SA, a_FF, b_FF):
    """Each argument is (value, trainable)."""
    return {"a_SA": a_SA, "b_SA": b_SA, "a_FF": a_FF, "b_FF": b_FF}


FIXED_ONES = _gains((1.0, False), (1.0, False), (1.0, False), (1.0, False))
SKIPLESS = _gains((0.0, False), (1.0, False), (0.0, False), (1.0, False))
SKIPINIT_SEQ = _gains((0.0, False), (1.0, True), (1.0, True), (0.1, True))
# parallel simplified: a_comb (stored as a_FF) = 0 fixed; a_SA unused by the parallel layout
SAS_PAR = _gains((0.0, False), (1.0, True), (0.0, False), (0.1, True))

PRESETS = [
    "pre_ln",
    "post_ln",
    "parallel",
    "skipless",
    "vskipinit",
    "sas",
    "sas_p",
    "sas_p_nonorm",
    # the alternates (appended, so every earlier preset keeps its fixture seed)
    "post_ln_textbook",
    "vskipinit_eq4",
]


def block_spec(preset, layer):
    """The spec dict of block `layer` (0-based) for `preset`.

    layout: "sequential" | "post" | "post_textbook" | "parallel"
    gains:  {name: (value, trainable)}
    attn:   "softmax" | "shaped" | "skipinit"
    v, proj: "trained" | "identity" | "reparam"
    norm1, norm2: "rms" | "layer" | None   (norm2 unused by the parallel layout)
    """
    first = layer == 0
    if preset == "pre_ln":
        return dict(layout="sequential", gains=FIXED_ONES, attn="softmax", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "post_ln":
        # default.yaml with norm_position: post. myGPT2Block applies ln_1 to the block's input before the
        # skip branch is taken and ln_2 to the attention sum before the MLP's skip is taken.
        return dict(layout="post", gains=FIXED_ONES, attn="softmax", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "post_ln_textbook":
        # Vaswani et al.: a norm after each residual sum
        return dict(layout="post_textbook", gains=FIXED_ONES, attn="softmax", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "parallel":
        # a_comb = 1 is stored under the name a_FF
        return dict(layout="parallel", gains=FIXED_ONES, attn="softmax", v="trained",
                    proj="trained", norm1="rms", norm2=None)
    if preset == "skipless":
        return dict(layout="sequential", gains=SKIPLESS, attn="softmax", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "vskipinit":
        # baseline_comparison.sh "Value-SkipInit": skipless.yaml (centre_attn: true, so shaped attention;
        # query_init_std 0) with value_skip_gain = proj_skip_gain = null, so W^V and W^P are plain trained
        # (orthogonally initialised) MyConv1D layers in every block, block 0 included.
        return dict(layout="sequential", gains=SKIPINIT_SEQ, attn="shaped", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "vskipinit_eq4":
        # the paper's Eq. 4: A' = alpha I + beta A (beta = 0 at init), no centring matrix
        return dict(layout="sequential", gains=SKIPINIT_SEQ, attn="skipinit", v="trained",
                    proj="trained", norm1="rms", norm2="rms")
    if preset == "sas":
        return dict(layout="sequential", gains=SKIPINIT_SEQ, attn="shaped",
                    v="reparam" if first else "identity", proj="identity", norm1="rms", norm2="rms")
    if preset == "sas_p":
        return dict(layout="parallel", gains=SAS_PAR, attn="shaped",
                    v="reparam" if first else "identity", proj="identity", norm1="rms", norm2=None)
    if preset == "sas_p_nonorm":
        # no norms in blocks, except a LayerNorm at block 1's (index 0's) input
        return dict(layout="parallel", gains=SAS_PAR, attn="shaped",
                    v="reparam" if first else "identity", proj="identity",
                    norm1="layer" if first else None, norm2=None)
    raise ValueError(f"unknown preset {preset!r}")


# --------------------------------------------------------------------------------------------------
# layers


class RMSNorm(nn.Module):
    """y = x / (sqrt(mean(x^2, last axis)) + eps) * weight   (eps added to the rms, not under the sqrt)."""

    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        rms = x.pow(2).mean(dim=-1, keepdim=True).sqrt()
        return x / (rms + EPS) * self.weight


def make_norm(kind, d):
    if kind is None:
        return None
    if kind == "rms":
        return RMSNorm(d)
    if kind == "layer":
        return nn.LayerNorm(d, eps=EPS)  # .weight, .bias
    raise ValueError(kind)


class Reparam(nn.Module):
    """y = x (alpha I + beta delta)^T, alpha/beta scalars of shape [1], delta [d, d]."""

    def __init__(self, d):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1))
        self.beta = nn.Parameter(torch.ones(1))
        self.delta = nn.Parameter(torch.zeros(d, d))

    def forward(self, x):
        eye = torch.eye(self.delta.shape[0], dtype=x.dtype)
        w = self.alpha * eye + self.beta * self.delta
        return x @ w.t()


def make_linear_like(kind, d):
    """Value or projection map: trained Linear (no bias), identity (None), or reparam."""
    if kind == "trained":
        return nn.Linear(d, d, bias=False)
    if kind == "identity":
        return None
    if kind == "reparam":
        return Reparam(d)
    raise ValueError(kind)


def causal_mask(T, dtype):
    """M[i, j] = -inf for j > i, else 0."""
    upper = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
    return torch.zeros(T, T, dtype=dtype).masked_fill(upper, float("-inf"))


class Attention(nn.Module):
    def __init__(self, d, n_head, kind, v_kind, proj_kind):
        super().__init__()
        assert d % n_head == 0
        self.d, self.n_head, self.kind = d, n_head, kind
        self.q = nn.Linear(d, d, bias=True)
        self.k = nn.Linear(d, d, bias=True)
        self.v = make_linear_like(v_kind, d)
        self.proj = make_linear_like(proj_kind, d)
        if kind in ("shaped", "skipinit"):
            self.alpha = nn.Parameter(torch.ones(n_head))
            self.beta = nn.Parameter(torch.ones(n_head))
        if kind == "shaped":
            self.gamma = nn.Parameter(torch.ones(n_head))
        if kind not in ("softmax", "shaped", "skipinit"):
            raise ValueError(kind)

    def heads(self, x):
        B, T, _ = x.shape
        return x.view(B, T, self.n_head, self.d // self.n_head).transpose(1, 2)  # [B, H, T, dk]

    def mixing(self, xn):
        """The per-head mixing matrix A'_h, [B, H, T, T]."""
        T = xn.shape[1]
        dk = self.d // self.n_head
        q, k = self.heads(self.q(xn)), self.heads(self.k(xn))
        M = causal_mask(T, xn.dtype)
        A = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dk) + M, dim=-1)
        if self.kind == "softmax":
            return A
        per_head = lambda p: p.view(1, self.n_head, 1, 1)  # noqa: E731
        eye = torch.eye(T, dtype=xn.dtype)
        if self.kind == "skipinit":
            return per_head(self.alpha) * eye + per_head(self.beta) * A
        # shaped: C = softmax(M), i.e. C[i, j] = 1/(i+1) for j <= i (0-based), else 0
        C = torch.softmax(M, dim=-1)
        return per_head(self.alpha) * eye + (per_head(self.beta) * A - per_head(self.gamma) * C)

    def forward(self, xn):
        B, T, d = xn.shape
        v = xn if self.v is None else self.v(xn)
        out = self.mixing(xn) @ self.heads(v)  # [B, H, T, dk]
        out = out.transpose(1, 2).reshape(B, T, d)  # concat heads
        return out if self.proj is None else self.proj(out)


class MLP(nn.Module):
    def __init__(self, d, ratio):
        super().__init__()
        self.fc = nn.Linear(d, ratio * d, bias=False)
        self.proj = nn.Linear(ratio * d, d, bias=False)

    def forward(self, x):
        return self.proj(torch.relu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, spec, d, n_head, mlp_ratio):
        super().__init__()
        self.spec = spec
        self.layout = spec["layout"]
        self.norm1 = make_norm(spec["norm1"], d)
        self.norm2 = make_norm(spec["norm2"], d) if self.layout != "parallel" else None
        self.attn = Attention(d, n_head, spec["attn"], spec["v"], spec["proj"])
        self.mlp = MLP(d, mlp_ratio)
        self.gain = nn.ParameterDict()
        self.fixed = {}
        for name in GAIN_NAMES:  # every layout has the four gains; a fixed one has no parameter
            value, trainable = spec["gains"][name]
            if trainable:
                self.gain[name] = nn.Parameter(torch.full((1,), float(value)))
            else:
                self.fixed[name] = float(value)

    def g(self, name):
        return self.gain[name] if name in self.gain else self.fixed[name]

    def is_off(self, name):
        return name not in self.gain and self.fixed[name] == 0.0

    def _with_skip(self, name, skip, branch):
        """branch + gain * skip, the skip left out when its gain is a fixed 0 (as myGPT2Block's add_*_skip)."""
        return branch if self.is_off(name) else self.g(name) * skip + branch

    @staticmethod
    def _norm(norm, x):
        return x if norm is None else norm(x)

    def forward(self, x):
        if self.layout == "post":
            xn = self._norm(self.norm1, x)
            h = self._with_skip("a_SA", xn, self.g("b_SA") * self.attn(xn))
            hn = self._norm(self.norm2, h)
            return self._with_skip("a_FF", hn, self.g("b_FF") * self.mlp(hn))
        if self.layout == "post_textbook":
            h = self._norm(self.norm1, self._with_skip("a_SA", x, self.g("b_SA") * self.attn(x)))
            return self._norm(self.norm2, self._with_skip("a_FF", h, self.g("b_FF") * self.mlp(h)))
        if self.layout == "sequential":
            h = self.g("b_SA") * self.attn(self._norm(self.norm1, x))
            if not self.is_off("a_SA"):
                h = self.g("a_SA") * x + h
            out = self.g("b_FF") * self.mlp(self._norm(self.norm2, h))
            if not self.is_off("a_FF"):
                out = self.g("a_FF") * h + out
            return out
        if self.layout == "parallel":
            xn = self._norm(self.norm1, x)
            out = self.g("b_SA") * self.attn(xn) + self.g("b_FF") * self.mlp(xn)
            if not self.is_off("a_FF"):  # a_comb
                out = self.g("a_FF") * x + out
            return out
        raise ValueError(self.layout)


class GPT(nn.Module):
    def __init__(self, preset, n_layer, d_model, n_head, vocab_size, max_seq_len, mlp_ratio):
        super().__init__()
        self.preset = preset
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(max_seq_len, d_model)
        self.blocks = nn.ModuleList(
            Block(block_spec(preset, i), d_model, n_head, mlp_ratio) for i in range(n_layer))
        self.norm_f = nn.LayerNorm(d_model, eps=EPS)

    def forward(self, tokens, targets=None):
        B, T = tokens.shape
        x = self.tok_emb.weight[tokens] + self.pos_emb.weight[:T]
        for block in self.blocks:
            x = block(x)
        x = self.norm_f(x)
        logits = x @ self.tok_emb.weight.t()  # tied head
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        return logits, loss


# --------------------------------------------------------------------------------------------------
# self-check


def self_check():
    """Identity at init: for sas and sas_p, with W_Q = 0, b_Q = 0, alpha = beta = gamma = 1 (and the
    block-0 value reparam at alpha_V = beta_V = 1, delta = 0), each block's attention sub-block returns
    exactly its input, bit for bit. Also checks C and the RMSNorm formula on a hand example."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(12345)
        for preset in ("sas", "sas_p"):
            model = GPT(preset, n_layer=2, d_model=8, n_head=2, vocab_size=11, max_seq_len=8, mlp_ratio=4)
            with torch.no_grad():
                for p in model.parameters():  # scramble everything first
                    p.normal_(0.0, 0.5)
                for block in model.blocks:
                    a = block.attn
                    a.q.weight.zero_()
                    a.q.bias.zero_()
                    a.alpha.fill_(1.0)
                    a.beta.fill_(1.0)
                    a.gamma.fill_(1.0)
                    if isinstance(a.v, Reparam):
                        a.v.alpha.fill_(1.0)
                        a.v.beta.fill_(1.0)
                        a.v.delta.zero_()
                for i, block in enumerate(model.blocks):
                    xn = torch.randn(3, 7, 8)
                    y = block.attn(xn)
                    assert torch.equal(y, xn), f"{preset} block {i}: attention is not the identity at init " \
                                               f"(max diff {(y - xn).abs().max().item()})"
        T = 6
        C = torch.softmax(causal_mask(T, torch.float64), dim=-1)
        expect = torch.tensor([[1.0 / (i + 1) if j <= i else 0.0 for j in range(T)] for i in range(T)])
        assert torch.allclose(C, expect, rtol=0, atol=1e-15), "C != softmax(M)"
        n = RMSNorm(4)
        with torch.no_grad():
            n.weight.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
        x = torch.tensor([3.0, -4.0, 0.0, 0.0])  # rms = sqrt(25/4) = 2.5
        y = n(x)
        expect = torch.tensor([3.0, -8.0, 0.0, 0.0]) / (2.5 + EPS)
        assert torch.allclose(y, expect, rtol=1e-15, atol=0), "RMSNorm formula"
    finally:
        torch.set_default_dtype(old)
