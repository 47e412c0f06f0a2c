// `bareformer prepare --out DIR [PATHS...] [--tokenizer bytes|bpe --vocab-size N]`: text files or folders ->
// tokenizer.json, train.bin and val.bin.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "text/corpus.h"

namespace bf::cli {

Command add_prepare_command(CLI::App& app) {
  auto opt = std::make_shared<PrepareOptions>();
  CLI::App* sub = app.add_subcommand("prepare", "Turn text files or folders into train/val token files (bytes or BPE)");
  sub->add_option("--out", opt->out_dir, "Output folder (train.bin, val.bin, corpus.json)")->required();
  sub->add_option("paths", opt->paths, "Files or folders (default: the Python standard library on this machine)");
  sub->add_option("--val-fraction", opt->val_fraction, "Share of bytes held out for validation, by whole files")
      ->check(CLI::Range(0.001, 0.9));
  sub->add_option("--max-bytes", opt->max_bytes, "Stop adding files past this many bytes (0: no limit)");
  sub->add_option("--tokenizer", opt->tokenizer, "bytes (one token per byte) or bpe (trained on the training split)")
      ->check(CLI::IsMember({"bytes", "bpe"}));
  sub->add_option("--vocab-size", opt->vocab_size, "BPE vocabulary, 257..65536 (bytes: always 256)");
  return {sub, [opt]() {
            opt->fallback_dir = BF_SOURCE_DIR;
            PrepareReport report = prepare_corpus(*opt);
            std::cout << report.summary() << std::flush;
            std::cerr << report.warning();
            return 0;
          }};
}

}  // namespace bf::cli
