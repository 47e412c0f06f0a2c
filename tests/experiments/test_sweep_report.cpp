// Every published sweep report regenerates from its committed run files: the fixture under
// tests/fixtures/sweep_report/ and each docs/experiments/runs/<name>/ that has a configs/sweeps/ file.
// The report and every plot are written into a scratch folder and compared byte for byte.
#include <doctest/doctest.h>

#include <filesystem>

#include "scratch.h"
#include "experiments/sweep.h"
#include "experiments/sweep_report.h"

namespace fs = std::filesystem;

namespace {

// (sweep file, committed runs folder) pairs.
std::vector<std::pair<fs::path, fs::path>> published_sweeps() {
  const fs::path root = BF_SOURCE_DIR;
  std::vector<std::pair<fs::path, fs::path>> out = {
      {root / "tests/fixtures/sweep_report/sweep.json", root / "tests/fixtures/sweep_report/runs"}};
  for (const auto& e : fs::directory_iterator(root / "configs/sweeps")) {
    if (e.path().extension() != ".json") continue;
    const bf::SweepSpec spec = bf::load_sweep(e.path().string());
    const fs::path runs = root / "docs/experiments/runs" / fs::path(spec.out_dir).filename();
    if (fs::exists(runs / spec.report_subdir / "report.md")) out.push_back({e.path(), runs});
  }
  return out;
}

}  // namespace

TEST_CASE("sweep report: every committed report equals its regeneration from the committed runs") {
  const auto sweeps = published_sweeps();
  REQUIRE(!sweeps.empty());
  for (const auto& [sweep_file, runs] : sweeps) {
    INFO(sweep_file.string());
    const bf::SweepSpec spec = bf::load_sweep(sweep_file.string());
    bf::test::ScratchDir scratch("sweep_report");
    bf::SweepReportOptions options;
    options.runs_root = runs.string();
    options.report_dir = scratch.path.string();
    bf::write_sweep_report(spec, options);
    const fs::path committed = runs / spec.report_subdir;
    int files = 0;
    for (const auto& e : fs::directory_iterator(scratch.path)) {
      const std::string name = e.path().filename().string();
      INFO(name);
      REQUIRE(fs::exists(committed / name));
      CHECK(bf::test::read_bytes(e.path().string()) == bf::test::read_bytes((committed / name).string()));
      ++files;
    }
    CHECK(files > 3);  // report.md, two loss plots, at least one difference plot
  }
}
