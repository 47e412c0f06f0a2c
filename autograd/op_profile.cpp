#include "autograd/op_profile.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "backends/cuda_control.h"

namespace bf {
namespace {

using Clock = std::chrono::steady_clock;

struct Profile {
  bool on = false;
  Clock::time_point last = Clock::now();
  std::map<std::string, OpTime> by_op;
};
thread_local Profile g_profile;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

Clock::time_point synchronized_now() {
  cuda_synchronize();
  return Clock::now();
}

OpTime& entry(const std::string& op) {
  OpTime& t = g_profile.by_op[op];
  t.op = op;
  return t;
}

}  // namespace

void set_op_profiling(bool on) {
  g_profile.on = on;
  g_profile.last = synchronized_now();
}
bool op_profiling() { return g_profile.on; }
void op_profile_mark() { g_profile.last = synchronized_now(); }
double op_profile_now() { return std::chrono::duration<double>(synchronized_now().time_since_epoch()).count(); }
void op_profile_reset() { g_profile.by_op.clear(); }

void op_profile_add(const std::string& name, double seconds) {
  OpTime& t = entry(name);
  ++t.calls;
  t.forward_s += seconds;
}

void op_profile_forward(const char* op) {
  const Clock::time_point now = synchronized_now();
  OpTime& t = entry(op);
  ++t.calls;
  t.forward_s += seconds_between(g_profile.last, now);
  g_profile.last = now;
}

void op_profile_backward(const std::string& op, double seconds) { entry(op).backward_s += seconds; }

std::vector<OpTime> op_profile_table() {
  std::vector<OpTime> table;
  for (const auto& [op, t] : g_profile.by_op) table.push_back(t);
  std::stable_sort(table.begin(), table.end(), [](const OpTime& a, const OpTime& b) {
    return a.forward_s + a.backward_s > b.forward_s + b.backward_s;
  });
  return table;
}

}  // namespace bf
