#!/usr/bin/env python3
"""Writes the per-preset configs of configs/, configs/tiny/ and configs/paper/ from one base per folder.

In each of those folders `pre_ln.json` is the base: it is written by hand. Every other preset's file is
the base with two values replaced, the preset name and the run folder:

    "preset": "pre_ln"           ->  "preset": "<preset>"
    "out_dir": "<prefix>pre_ln"  ->  "out_dir": "<prefix><preset>"

(<prefix> is whatever the base's out_dir has before "pre_ln": "runs/", "runs/tiny_", "runs/paper_"). The
replacement is textual, so a generated file keeps the base's layout byte for byte. To change something
every preset of a size shares, edit that folder's pre_ln.json and run

    python3 scripts/gen_configs.py            # rewrites the generated files
    python3 scripts/gen_configs.py --check    # exit 1, naming each stale or missing file, if any differs

tests/train/test_generated_configs.cpp makes the same check without Python (ctest -R train), against the
program's own preset list, so a file edited by hand or a preset without its file fails the suite.
"""
import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = ["configs", "configs/tiny", "configs/paper"]
BASE_PRESET = "pre_ln"
# nn/presets.cpp's preset_names(), in its order (the C++ test compares each folder against that list).
PRESETS = ["pre_ln", "post_ln", "post_ln_textbook", "parallel", "skipless", "vskipinit", "vskipinit_eq4",
           "sas", "sas_p", "sas_p_nonorm"]


def replace_once(text, old, new, where):
    if text.count(old) != 1:
        sys.exit(f"gen_configs: {where} must contain {old} exactly once (found {text.count(old)})")
    return text.replace(old, new)


def generated(base_text, base_path, preset):
    """The base's text with its preset and out_dir rewritten for `preset`."""
    marker = '"out_dir": "'
    start = base_text.find(marker)
    if start < 0:
        sys.exit(f"gen_configs: {base_path} has no run.out_dir")
    start += len(marker)
    out_dir = base_text[start:base_text.index('"', start)]
    if not out_dir.endswith(BASE_PRESET):
        sys.exit(f'gen_configs: {base_path}: run.out_dir "{out_dir}" must end with "{BASE_PRESET}"')
    prefix = out_dir[: -len(BASE_PRESET)]
    text = replace_once(base_text, f'"preset": "{BASE_PRESET}"', f'"preset": "{preset}"', base_path)
    return replace_once(text, f'"out_dir": "{out_dir}"', f'"out_dir": "{prefix}{preset}"', base_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args()
    stale = []
    for folder in FOLDERS:
        base_path = ROOT / folder / f"{BASE_PRESET}.json"
        base_text = base_path.read_text()
        for preset in PRESETS:
            if preset == BASE_PRESET:
                continue
            path = ROOT / folder / f"{preset}.json"
            want = generated(base_text, base_path.relative_to(ROOT), preset)
            if path.exists() and path.read_text() == want:
                continue
            if args.check:
                stale.append(str(path.relative_to(ROOT)))
            else:
                path.write_text(want)
                print(f"gen_configs: wrote {path.relative_to(ROOT)}")
    if stale:
        print("gen_configs: not what the base gives (run python3 scripts/gen_configs.py): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
