#!/usr/bin/env python3
"""The validation loss of a unigram model: token frequencies counted on train.bin (add-one smoothed),
cross-entropy on val.bin, in nats per token. A model that learns nothing beyond how often each token
occurs ends here; docs/experiments.md compares the naive skipless block's loss with it.

Usage: scripts/unigram_loss.py [DATA_DIR]   (default data/python, from `bareformer prepare`)
"""
import math
import struct
import sys
from collections import Counter
from pathlib import Path


def read_tokens(path):
    # The 32-byte header of io/token_file.h: magic, version, vocab_size, token_count, bytes_per_token.
    raw = path.read_bytes()
    magic, _version, vocab, count, width = struct.unpack_from("<8sIIQI", raw)
    if magic != b"BFTOKENS":
        sys.exit(f"unigram_loss.py: {path}: not a token file (no BFTOKENS magic)")
    body = raw[32:]
    if len(body) != count * width:
        sys.exit(f"unigram_loss.py: {path}: header says {count} tokens of {width} bytes, file has {len(body)} bytes")
    tokens = body if width == 1 else struct.unpack(f"<{count}H", body)
    return vocab, tokens


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "data/python")
    vocab, train = read_tokens(data / "train.bin")
    _, val = read_tokens(data / "val.bin")
    counts = Counter(train)
    total = len(train) + vocab
    loss = -sum(math.log((counts[t] + 1) / total) for t in val) / len(val)
    print(f"unigram validation loss: {loss:.4f} nats per token ({loss / math.log(2):.4f} bits), "
          f"from {len(train):,} training and {len(val):,} validation tokens")


if __name__ == "__main__":
    main()
