#include "train/metrics_writer.h"

#include "train/config_diff.h"
#include "train/provenance.h"

namespace bf {

nlohmann::json diagnostics_event(int64_t step, const std::vector<LayerDiagnostics>& layers) {
  nlohmann::json list = nlohmann::json::array();
  for (const LayerDiagnostics& l : layers)
    list.push_back({{"name", l.name}, {"activation_rms", l.activation_rms}, {"token_cosine", l.token_cosine},
                    {"attention_entropy", l.attention_entropy}, {"grad_norm", l.grad_norm}, {"alpha", l.alpha},
                    {"beta", l.beta}, {"gamma", l.gamma}, {"gains", l.gains},
                    {"value_beta_over_alpha", l.value_beta_over_alpha}});
  return {{"event", "diag"}, {"step", step}, {"layers", list}};
}

MetricsWriter::MetricsWriter(const Config& config, int64_t resumed_at, nlohmann::json accepted_changes)
    : config_(config), log_(config.run.out_dir + "/metrics.jsonl", resumed_at),
      accepted_changes_(std::move(accepted_changes)) {}

void MetricsWriter::started(const RunStarted& s) {
  nlohmann::json start = {{"event", "start"}, {"step", s.step}, {"params", s.parameters}, {"resumed", s.resumed},
                          {"config_hash", config_hash(config_)}};
  start.update(run_provenance());  // version, commit, command line, host, time, threads, GEMM provider
  log_.write(start);
  if (!accepted_changes_.is_null())
    log_.write({{"event", "config_change"}, {"step", s.step}, {"changes", accepted_changes_}});
}

void MetricsWriter::logged(const LogWindow& w) {
  log_.write({{"event", "train"}, {"step", w.step}, {"loss", w.loss}, {"lr", w.lr}, {"grad_norm", w.grad_norm},
              {"tokens_per_s", w.tokens_per_s}, {"ms_per_step", w.ms_per_step}, {"elapsed_s", w.elapsed_s}});
}

void MetricsWriter::skipped(int64_t step, const std::string& reason) {
  log_.write({{"event", "skip"}, {"step", step}, {"reason", reason}});
}

void MetricsWriter::diagnosed(int64_t step, const std::vector<LayerDiagnostics>& layers) {
  log_.write(diagnostics_event(step, layers));
}

void MetricsWriter::evaluated(int64_t step, const EvalResult& r, double elapsed_s) {
  log_.write({{"event", "eval"}, {"step", step}, {"val_loss", r.loss}, {"val_bpb", r.bits_per_byte},
              {"val_tokens", r.tokens}, {"val_text_bytes", r.text_bytes}, {"elapsed_s", elapsed_s}});
}

void MetricsWriter::finished(int64_t step, double elapsed_s, int64_t skipped_steps) {
  log_.write({{"event", "end"}, {"step", step}, {"elapsed_s", elapsed_s}, {"skipped_steps", skipped_steps}});
}

}  // namespace bf
