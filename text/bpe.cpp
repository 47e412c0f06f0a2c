#include "text/bpe.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace bf {

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
}
int32_t key_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t key_right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

// A heap entry: a pair's count when it was pushed. The heap's top is the highest count, ties to the
// smallest key (smallest left id, then smallest right id).
struct HeapEntry {
  int64_t count;
  uint64_t key;
};
struct HeapOrder {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  }
};

// Replaces every (left, right) in `symbols`, left to right, by `merged`; false when there was none.
bool merge_in_place(std::vector<int32_t>& symbols, int32_t left, int32_t right, int32_t merged) {
  size_t out = 0;
  bool changed = false;
  const size_t n = symbols.size();
  for (size_t i = 0; i < n; ++out) {
    if (i + 1 < n && symbols[i] == left && symbols[i + 1] == right) {
      symbols[out] = merged;
      i += 2;
      changed = true;
    } else {
      symbols[out] = symbols[i++];
    }
  }
  symbols.resize(out);
  return changed;
}

class BpeTrainer {
 public:
  explicit BpeTrainer(std::string_view text, BpeTrainStats& stats) {
    std::unordered_map<std::string_view, int64_t> chunk_counts;
    split_chunks(text, [&](std::string_view chunk) {
      ++chunk_counts[chunk];
      ++stats.chunks;
    });
    // Words in byte-wise order: the merges do not depend on it, but the work order is then fixed too.
    std::vector<std::pair<std::string_view, int64_t>> sorted(chunk_counts.begin(), chunk_counts.end());
    std::sort(sorted.begin(), sorted.end());
    stats.text_bytes = static_cast<int64_t>(text.size());
    stats.distinct_chunks = static_cast<int64_t>(sorted.size());
    words_.reserve(sorted.size());
    word_counts_.reserve(sorted.size());
    for (const auto& [chunk, count] : sorted) {
      words_.emplace_back(chunk.begin(), chunk.end());
      for (int32_t& s : words_.back()) s = static_cast<unsigned char>(s);
      word_counts_.push_back(count);
    }
    visited_.assign(words_.size(), -1);
    for (size_t w = 0; w < words_.size(); ++w) {
      const std::vector<int32_t>& s = words_[w];
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const uint64_t key = pair_key(s[i], s[i + 1]);
        pair_counts_[key] += word_counts_[w];
        note_word(key, static_cast<int32_t>(w));
      }
    }
    heap_.reserve(pair_counts_.size());
    for (const auto& [key, count] : pair_counts_) heap_.push_back({count, key});
    std::make_heap(heap_.begin(), heap_.end(), HeapOrder{});
  }

  // The next merge, or false when no pair is left.
  bool next_merge(BpeMerge& merge) {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), HeapOrder{});
      const HeapEntry top = heap_.back();
      heap_.pop_back();
      const auto it = pair_counts_.find(top.key);
      const int64_t current = it == pair_counts_.end() ? 0 : it->second;
      if (current != top.count) {
        // Stale. Counts only fall between pushes (a rise pushes a fresh entry), so a lower current
        // count needs an entry of its own to keep the heap's bound.
        if (current > 0 && current < top.count) push(top.key, current);
        continue;
      }
      merge = {key_left(top.key), key_right(top.key)};
      return true;
    }
    return false;
  }

  void apply(const BpeMerge& merge, int32_t merged_id) {
    const uint64_t key = pair_key(merge.left, merge.right);
    auto node = where_.extract(key);
    if (node.empty()) return;
    for (int32_t w : node.mapped()) {
      if (visited_[w] == merged_id) continue;  // listed twice
      visited_[w] = merged_id;
      merge_word(w, merge, merged_id);
    }
    pair_counts_.erase(key);  // now 0: every occurrence was merged, and none can appear again
  }

  int64_t total_tokens() const {
    int64_t total = 0;
    for (size_t w = 0; w < words_.size(); ++w) total += static_cast<int64_t>(words_[w].size()) * word_counts_[w];
    return total;
  }

 private:
  void push(uint64_t key, int64_t count) {
    heap_.push_back({count, key});
    std::push_heap(heap_.begin(), heap_.end(), HeapOrder{});
  }

  void note_word(uint64_t key, int32_t w) {
    std::vector<int32_t>& list = where_[key];
    if (list.empty() || list.back() != w) list.push_back(w);
  }

  // Merges the pair inside word w and updates the pair counts by the difference between the word's pairs
  // before and after, times the word's count.
  void merge_word(int32_t w, const BpeMerge& merge, int32_t merged_id) {
    std::vector<int32_t>& s = words_[w];
    before_ = s;
    if (!merge_in_place(s, merge.left, merge.right, merged_id)) return;
    const int64_t count = word_counts_[w];
    deltas_.clear();
    for (size_t i = 0; i + 1 < before_.size(); ++i) deltas_.push_back({pair_key(before_[i], before_[i + 1]), -count});
    for (size_t i = 0; i + 1 < s.size(); ++i) deltas_.push_back({pair_key(s[i], s[i + 1]), count});
    std::sort(deltas_.begin(), deltas_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < deltas_.size();) {
      const uint64_t key = deltas_[i].first;
      int64_t delta = 0;
      for (; i < deltas_.size() && deltas_[i].first == key; ++i) delta += deltas_[i].second;
      if (delta == 0) continue;
      auto it = pair_counts_.try_emplace(key, 0).first;
      it->second += delta;
      if (delta > 0) {
        push(key, it->second);
        note_word(key, w);
      } else if (it->second == 0) {
        pair_counts_.erase(it);
      }
    }
  }

  std::vector<std::vector<int32_t>> words_;
  std::vector<int64_t> word_counts_;
  std::vector<int32_t> visited_;  // the merged id of the last merge that visited each word
  std::unordered_map<uint64_t, int64_t> pair_counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> where_;  // pair -> words that hold (or held) it
  std::vector<HeapEntry> heap_;
  std::vector<int32_t> before_;
  std::vector<std::pair<uint64_t, int64_t>> deltas_;
};

}  // namespace

std::vector<BpeMerge> train_bpe(std::string_view text, int vocab_size, BpeTrainStats* stats_out) {
  BF_CHECK(vocab_size > kBpeByteTokens && vocab_size <= 65536, "BPE: vocab_size ", vocab_size,
           ", expected 257..65536 (256 byte tokens plus at least one merge; ids must fit 2 bytes)");
  BpeTrainStats stats;
  BpeTrainer trainer(text, stats);
  std::vector<BpeMerge> merges;
  const size_t wanted = static_cast<size_t>(vocab_size - kBpeByteTokens);
  merges.reserve(wanted);
  BpeMerge merge;
  while (merges.size() < wanted) {
    if (!trainer.next_merge(merge))
      fail("BPE: the training text supports at most ", kBpeByteTokens + merges.size(), " tokens (256 bytes + ",
           merges.size(), " merges; then every chunk of it is a single token), vocab_size ", vocab_size,
           " asked for: choose a smaller vocabulary or a larger corpus");
    trainer.apply(merge, static_cast<int32_t>(kBpeByteTokens + merges.size()));
    merges.push_back(merge);
  }
  stats.tokens_after = trainer.total_tokens();
  if (stats_out) *stats_out = stats;
  return merges;
}

std::vector<std::string> bpe_token_bytes(const std::vector<BpeMerge>& merges) {
  std::vector<std::string> bytes(kBpeByteTokens + merges.size());
  for (int b = 0; b < kBpeByteTokens; ++b) bytes[b] = std::string(1, static_cast<char>(b));
  for (size_t k = 0; k < merges.size(); ++k) {
    const int32_t id = static_cast<int32_t>(kBpeByteTokens + k);
    BF_CHECK(merges[k].left >= 0 && merges[k].left < id && merges[k].right >= 0 && merges[k].right < id, "BPE: merge ",
             k, " joins tokens ", merges[k].left, " and ", merges[k].right, ", expected ids below its own id ", id);
    bytes[id] = bytes[merges[k].left] + bytes[merges[k].right];
  }
  return bytes;
}

BpeEncoder::BpeEncoder(const std::vector<BpeMerge>& merges) {
  BF_CHECK(kBpeByteTokens + merges.size() <= 65536, "BPE: ", merges.size(), " merges, at most ", 65536 - kBpeByteTokens,
           " fit 2-byte ids");
  (void)bpe_token_bytes(merges);  // validates the ids
  rank_.reserve(merges.size());
  for (size_t k = 0; k < merges.size(); ++k)
    rank_.try_emplace(pair_key(merges[k].left, merges[k].right), static_cast<int32_t>(k));
}

std::vector<uint16_t> BpeEncoder::encode_chunk(std::string_view chunk) const {
  std::vector<int32_t> symbols(chunk.begin(), chunk.end());
  for (int32_t& s : symbols) s = static_cast<unsigned char>(s);
  while (symbols.size() > 1) {
    int32_t best = std::numeric_limits<int32_t>::max();
    uint64_t best_key = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const uint64_t key = pair_key(symbols[i], symbols[i + 1]);
      const auto it = rank_.find(key);
      if (it != rank_.end() && it->second < best) best = it->second, best_key = key;
    }
    if (best == std::numeric_limits<int32_t>::max()) break;
    // Every merge of a lower rank is absent, so applying this one now is what training did.
    merge_in_place(symbols, key_left(best_key), key_right(best_key), kBpeByteTokens + best);
  }
  return {symbols.begin(), symbols.end()};
}

void BpeEncoder::encode(std::string_view text, std::vector<uint16_t>& out) {
  split_chunks(text, [&](std::string_view chunk) {
    auto it = cache_.find(chunk);
    if (it == cache_.end()) {
      if (cache_.size() >= kMaxCachedChunks) {
        cache_.clear();
        cache_keys_.clear();
        cached_.clear();
      }
      const std::vector<uint16_t> tokens = encode_chunk(chunk);
      const auto offset = static_cast<uint32_t>(cached_.size());
      cached_.insert(cached_.end(), tokens.begin(), tokens.end());
      const std::string_view key = cache_keys_.emplace_back(chunk);
      it = cache_.emplace(key, std::make_pair(offset, static_cast<uint32_t>(tokens.size()))).first;
    }
    const uint16_t* first = cached_.data() + it->second.first;
    out.insert(out.end(), first, first + it->second.second);
  });
}

}  // namespace bf
