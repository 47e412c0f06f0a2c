#!/usr/bin/python3
"""Write the end-to-end fixtures tests/oracle/fixtures/<preset>.json from reference.py.

    /usr/bin/python3 tests/oracle/make_fixtures.py           # (re)write all fixtures
    /usr/bin/python3 tests/oracle/make_fixtures.py --check   # regenerate into a temp dir, compare bytes
    /usr/bin/python3 tests/oracle/make_fixtures.py --only post_ln vskipinit   # rewrite just these

Weights are NOT the presets' special inits: every parameter is drawn at random (float64, one
torch.manual_seed per preset) so every path of every block is exercised.
"""

import argparse
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

MODEL = {"n_layer": 2, "d_model": 8, "n_head": 2, "vocab_size": 11, "max_seq_len": 8, "mlp_ratio": 4}
BATCH, SEQ_LEN = 2, 5
SEEDS = {name: 1000 + i for i, name in enumerate(reference.PRESETS)}


def init_value(name, p, block_specs):
    """A random draw for parameter `name` (see README for the table)."""
    last = name.split(".")[-1]
    parts = name.split(".")
    if ".gain." in name:  # blocks.{i}.gain.<g>: the preset value + 0.1 N(0, 1)
        value, trainable = block_specs[int(parts[1])]["gains"][last]
        assert trainable
        return value + 0.1 * torch.randn(p.shape)
    if name.endswith(("attn.alpha", "attn.beta", "attn.gamma")):
        return 1.0 + 0.2 * torch.randn(p.shape)
    if last in ("alpha", "beta"):  # reparam V / P scalars
        return 1.0 + 0.1 * torch.randn(p.shape)
    if last == "delta":
        return 0.1 * torch.randn(p.shape)
    if last == "bias":
        return 0.1 * torch.randn(p.shape)
    if "norm" in name and last == "weight":
        return 1.0 + 0.1 * torch.randn(p.shape)
    if last == "weight" and p.dim() == 2:  # embeddings and matrices
        return 0.3 * torch.randn(p.shape)
    raise ValueError(f"no init rule for {name} {tuple(p.shape)}")


def tensor_entry(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def build(preset):
    torch.manual_seed(SEEDS[preset])
    model = reference.GPT(preset, **MODEL)
    specs = [b.spec for b in model.blocks]
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(init_value(name, p, specs))
    V = MODEL["vocab_size"]
    tokens = torch.randint(0, V, (BATCH, SEQ_LEN))
    targets = torch.randint(0, V, (BATCH, SEQ_LEN))
    logits, loss = model(tokens, targets)
    model.zero_grad()
    loss.backward()
    params, grads = {}, {}
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{preset}: {name} got no gradient"
        params[name] = tensor_entry(p)
        grads[name] = tensor_entry(p.grad)
    return {
        "preset": preset,
        "model": dict(MODEL),
        "batch": BATCH,
        "seq_len": SEQ_LEN,
        "tokens": tokens.tolist(),
        "targets": targets.tolist(),
        "params": params,
        "logits": tensor_entry(logits),
        "loss": float(loss.item()),
        "grads": grads,
    }


def dumps(fixture):
    """Valid JSON, keys sorted, one tensor per line (small, stable, diffable). Floats via repr()."""
    c = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"))  # noqa: E731
    lines = ["{"]
    keys = sorted(fixture)
    for i, key in enumerate(keys):
        comma = "," if i + 1 < len(keys) else ""
        value = fixture[key]
        if key in ("params", "grads"):
            lines.append(f" {c(key)}: {{")
            names = sorted(value)
            for j, name in enumerate(names):
                inner = "," if j + 1 < len(names) else ""
                lines.append(f"  {c(name)}: {c(value[name])}{inner}")
            lines.append(f" }}{comma}")
        else:
            lines.append(f" {c(key)}: {c(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_all(outdir, presets=None):
    os.makedirs(outdir, exist_ok=True)
    losses = {}
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for preset in presets or reference.PRESETS:
            fixture = build(preset)
            text = dumps(fixture)
            assert json.loads(text) == fixture
            with open(os.path.join(outdir, f"{preset}.json"), "w", newline="\n") as f:
                f.write(text)
            losses[preset] = fixture["loss"]
    finally:
        torch.set_default_dtype(old)
    return losses


def max_diff(a, b):
    """Largest absolute difference between two parsed fixtures' numbers (for a helpful message)."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return max([max_diff(a[k], b[k]) for k in a] or [0.0])
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max([max_diff(x, y) for x, y in zip(a, b)] or [0.0])
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b)
    return 0.0 if a == b else float("inf")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and verify byte-identical to the committed fixtures")
    ap.add_argument("--only", nargs="+", choices=reference.PRESETS, metavar="PRESET",
                    help="write only these fixtures (another CPU or BLAS can change the last bit of the others)")
    args = ap.parse_args()
    reference.self_check()
    if not args.check:
        losses = write_all(FIXTURES, args.only)
        for preset, loss in losses.items():
            print(f"{preset:14s} loss {loss!r}")
        return 0
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        write_all(tmp)
        for preset in reference.PRESETS:
            name = f"{preset}.json"
            committed = os.path.join(FIXTURES, name)
            if not os.path.exists(committed):
                print(f"MISSING {committed}")
                ok = False
                continue
            with open(committed, "rb") as f:
                old = f.read()
            with open(os.path.join(tmp, name), "rb") as f:
                new = f.read()
            if old == new:
                print(f"ok      {name}")
            else:
                ok = False
                try:
                    d = max_diff(json.loads(old), json.loads(new))
                    print(f"DIFFERS {name} (max abs difference {d!r})")
                except ValueError:
                    print(f"DIFFERS {name} (committed file is not valid JSON)")
        extra = sorted(set(os.listdir(FIXTURES) if os.path.isdir(FIXTURES) else []) - {f"{p}.json" for p in reference.PRESETS})
        for name in extra:
            print(f"UNEXPECTED {name}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
