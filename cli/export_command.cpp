// `bareformer export CKPT OUT.safetensors [--dtype f32|f16|bf16]`: the weights alone (train/export.h).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "train/export.h"

namespace bf::cli {

Command add_export_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, out, dtype = "f32";
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "export", "Write a checkpoint's weights alone (no optimiser state) as safetensors, for other programs");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("out", opt->out, "The weights file to write (e.g. weights.safetensors)")->required();
  sub->add_option("--dtype", opt->dtype, "f32, or rounded to nearest even: f16 or bf16")
      ->check(CLI::IsMember({"f32", "f16", "bf16"}));
  return {sub, [opt]() {
            const ExportReport r = export_weights(opt->checkpoint, opt->out, weights_dtype_from_name(opt->dtype));
            std::cout << "wrote " << opt->out << ": " << r.tensors << " tensors, " << r.parameters << " parameters ("
                      << opt->dtype << "), " << r.bytes << " bytes\n";
            return 0;
          }};
}

}  // namespace bf::cli
