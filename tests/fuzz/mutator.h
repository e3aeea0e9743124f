// Mutator: deterministic libFuzzer-style mutations of a seed input (bit flips, byte inserts and
// deletes, truncation, splicing two seeds, boundary integers, dictionary tokens), so a failure
// is reproduced from its seed alone. Not thread-safe (one per thread).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pma::fuzz {

class Mutator {
 public:
  // `dictionary`: tokens worth inserting for this target (terminators, prefixes, keywords).
  Mutator(std::uint64_t seed, const std::vector<std::string>& dictionary)
      : rng_(seed), dictionary_(dictionary) {}

  // One to four stacked mutations of seeds[pick], spliced with another seed at times.
  std::string mutate(const std::vector<std::string>& seeds);

 private:
  std::size_t below(std::size_t n) { return n == 0 ? 0 : rng_() % n; }
  void mutate_once(std::string& input, const std::vector<std::string>& seeds);

  std::mt19937_64 rng_;
  const std::vector<std::string>& dictionary_;
};

}  // namespace pma::fuzz
