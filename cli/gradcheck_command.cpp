// `bareformer gradcheck [--op NAME] [--dtype f64]`: every registered op's analytic gradient against central
// finite differences, its cases in registry order (autograd/op_registry.h), one row per case, non-zero
// exit status if any fails. `bareformer gradcheck --ops-markdown`: the registry as docs/ops.md's summary
// table.
#include <cstdio>
#include <memory>

#include "autograd/gradcheck_cases.h"
#include "autograd/op_registry.h"
#include "cli/commands.h"

namespace bf::cli {

Command add_gradcheck_command(CLI::App& app) {
  struct Options {
    std::string op;
    std::string dtype = "f64";
    std::string device = "cpu";
    bool ops_markdown = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("gradcheck", "Check every op's gradients against central finite differences");
  sub->add_option("--op", opt->op, "Only the cases whose name starts with NAME (e.g. matmul, softmax_causal)");
  sub->add_option("--dtype", opt->dtype, "Precision of the check (finite differences need f64)")
      ->check(CLI::IsMember({"f64"}));
  sub->add_option("--device", opt->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  sub->add_flag("--ops-markdown", opt->ops_markdown,
                "Print the op registry as docs/ops.md's summary table instead of checking");
  return {sub, [opt]() {
            if (opt->ops_markdown) {
              std::fputs(op_registry_markdown().c_str(), stdout);
              return 0;
            }
            const Device device = device_from_name(opt->device);
            std::printf("%-18s %-40s %12s %12s %6s\n", "op", "shapes", "max abs err", "max rel err", "result");
            int failures = 0, ran = 0;
            for (const OpInfo& op : op_registry())
              for (const GradcheckCase& c : gradcheck_cases()) {
                if (c.op != op.name || (!opt->op.empty() && c.name.rfind(opt->op, 0) != 0)) continue;
                Rng rng(42);
                GradcheckResult r = gradcheck(c.fn, c.make_inputs(rng, device), c.options);
                ++ran;
                failures += !r.passed;
                std::printf("%-18s %-40s %12.3e %12.3e %6s\n", c.name.c_str(), c.shapes.c_str(), r.max_abs_error,
                            r.max_rel_error, r.passed ? "pass" : "FAIL");
                if (!r.passed) std::printf("    worst: %s\n", r.worst.c_str());
              }
            BF_CHECK(ran > 0, "gradcheck: no op matches --op ", opt->op);
            std::printf("%d passed, %d failed\n", ran - failures, failures);
            return failures ? 1 : 0;
          }};
}

}  // namespace bf::cli
