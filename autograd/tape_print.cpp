#include "autograd/tape_print.h"

#include <cstdio>
#include <set>
#include <sstream>

namespace bf {
namespace {

std::string human_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1 << 20));
  else if (bytes >= 1 << 10) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / (1 << 10));
  else std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  return buf;
}

std::string input_label(const Tensor& t, const TensorNames& names) {
  if (!t.defined()) return "-";
  auto it = names.find(&t.impl());
  if (it != names.end()) return it->second;
  if (t.impl().tape_index >= 0) return std::string("#").append(std::to_string(t.impl().tape_index));
  return std::string("input").append(t.shape().str());
}

// The block a scope belongs to: "blocks.3" for "blocks.3.attn", else the scope's first word.
std::string group_of(const std::string& scope) {
  if (scope.rfind("blocks.", 0) == 0) {
    size_t second_dot = scope.find('.', 7);
    return scope.substr(0, second_dot);
  }
  return scope.substr(0, scope.find('.'));
}

int64_t kept_bytes(const TapeEntry& e) { return static_cast<int64_t>(e.output.nbytes()) + e.saved_bytes; }

}  // namespace

std::string format_tape_table(const std::vector<TapeEntry>& entries, const TensorNames& names) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-15s %-18s %-44s %-14s %11s %10s\n", "idx", "op", "scope", "inputs", "output",
                "FLOPs", "kept");
  out << line;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TapeEntry& e = entries[i];
    std::string inputs;
    for (const Tensor& t : e.inputs) {
      if (!t.defined()) continue;
      if (!inputs.empty()) inputs += ' ';
      inputs += input_label(t, names);
    }
    if (inputs.size() > 44) inputs = inputs.substr(0, 41) + "...";
    std::snprintf(line, sizeof line, "%4zu  %-15s %-18s %-44s %-14s %11.3g %10s\n", i, e.op.c_str(), e.scope.c_str(),
                  inputs.c_str(), e.output.shape().str().c_str(), e.flops, human_bytes(double(kept_bytes(e))).c_str());
    out << line;
  }
  out << "\nbackward order (newest first): ";
  for (size_t i = entries.size(); i-- > 0;) out << i << (i ? " " : "\n");

  // Totals per block, in order of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::tuple<int, double, int64_t>> totals;
  for (const TapeEntry& e : entries) {
    const std::string g = group_of(e.scope.empty() ? "(top)" : e.scope);
    if (!totals.count(g)) order.push_back(g);
    auto& [ops, flops, bytes] = totals[g];
    ++ops, flops += e.flops, bytes += kept_bytes(e);
  }
  out << "\ntotals per block:\n";
  std::snprintf(line, sizeof line, "  %-12s %5s %12s %12s\n", "block", "ops", "FLOPs", "activations");
  out << line;
  int all_ops = 0;
  double all_flops = 0;
  int64_t all_bytes = 0;
  for (const std::string& g : order) {
    auto [ops, flops, bytes] = totals[g];
    std::snprintf(line, sizeof line, "  %-12s %5d %12.4g %12s\n", g.c_str(), ops, flops, human_bytes(double(bytes)).c_str());
    out << line;
    all_ops += ops, all_flops += flops, all_bytes += bytes;
  }
  std::snprintf(line, sizeof line, "  %-12s %5d %12.4g %12s  (forward FLOPs; the backward costs about 2x)\n", "all",
                all_ops, all_flops, human_bytes(double(all_bytes)).c_str());
  out << line;
  return out.str();
}

std::string format_tape_dot(const std::vector<TapeEntry>& entries, const TensorNames& names, const std::string& title) {
  std::ostringstream out;
  out << "digraph tape {\n  label=\"" << title << "\"; labelloc=t; rankdir=TB;\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::set<std::string> declared;
  std::map<const TensorImpl*, size_t> leaf_ids;  // stable node names, in order of first use
  for (size_t i = 0; i < entries.size(); ++i) {
    const TapeEntry& e = entries[i];
    out << "  op" << i << " [shape=box, style=rounded, label=\"" << e.op << "\\n" << e.output.shape().str() << "\\n"
        << e.scope << "\"];\n";
    for (const Tensor& t : e.inputs) {
      if (!t.defined()) continue;
      std::string from;
      if (t.impl().tape_index >= 0 && t.impl().tape_index < int64_t(i)) {
        from = std::string("op").append(std::to_string(t.impl().tape_index));
      } else {
        // One node per leaf tensor (keyed by its address), labelled by parameter name or as an input.
        auto it = names.find(&t.impl());
        const std::string label = it != names.end() ? it->second : std::string("input ").append(t.shape().str());
        auto [slot, added] = leaf_ids.emplace(&t.impl(), leaf_ids.size());
        (void)added;
        from = std::string("leaf").append(std::to_string(slot->second));
        if (declared.insert(from).second)
          out << "  " << from << " [label=\"" << label << "\", shape=ellipse, style=filled, fillcolor="
              << (it != names.end() ? "lightyellow" : "lightblue") << "];\n";
      }
      out << "  " << from << " -> op" << i << ";\n";
    }
  }
  out << "}\n";
  return out.str();
}

}  // namespace bf
