// "Did you mean ...?" for unknown config keys and CLI subcommands.
#pragma once
#include <string>
#include <vector>

namespace bf {

// Levenshtein distance (insertions, deletions, substitutions, each 1).
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word`: case-insensitive distance first (b_ff -> b_FF), exact spelling breaks
// ties. "" when `candidates` is empty.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace bf
