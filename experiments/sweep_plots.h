// The sweep report's plots: loss curves (training solid, validation dashed) of each variant, and the
// paired difference in validation loss from the baseline against step, with its 95% interval band.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/run_record.h"
#include "experiments/stats.h"

namespace bf {

struct LossCurveGroup {
  std::string name;  // the legend label: the variant's name
  std::vector<RunRecord> runs;
};

// Training loss (mean over runs, band min..max) and validation loss (mean over runs, dashed) of every
// group, against step or against training time (elapsed_s, which counts across resumes).
std::string loss_plot(const std::string& title, const std::vector<LossCurveGroup>& groups, bool by_time);

// Variant - baseline validation loss at each evaluation step both have, over the seeds both have.
struct DiffCurve {
  std::vector<int64_t> step, tokens;
  std::vector<stats::Interval> interval;
};
// Runs are keyed by seed; the RunSlot-like pointers only need a `record` member.
template <class Slot>
DiffCurve paired_val_difference(const std::map<uint64_t, const Slot*>& baseline, const std::map<uint64_t, const Slot*>& variant);
DiffCurve paired_val_difference_of(const std::vector<std::pair<const RunRecord*, const RunRecord*>>& pairs);

std::string diff_plot(const std::string& title, const DiffCurve& curve);

template <class Slot>
DiffCurve paired_val_difference(const std::map<uint64_t, const Slot*>& baseline, const std::map<uint64_t, const Slot*>& variant) {
  std::vector<std::pair<const RunRecord*, const RunRecord*>> pairs;
  for (const auto& [seed, slot] : variant) {
    auto it = baseline.find(seed);
    if (it != baseline.end()) pairs.push_back({&it->second->record, &slot->record});
  }
  return paired_val_difference_of(pairs);
}

}  // namespace bf
