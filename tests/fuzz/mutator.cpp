#include "tests/fuzz/mutator.h"

#include <algorithm>
#include <array>

namespace pma::fuzz {

namespace {

// Values around the edges parsers check: sizes, caps, sign bits.
constexpr std::array<std::uint64_t, 16> kBoundaries = {
    0,      1,       0x7f,     0x80,     0xff,       0x100,      0x7fff,     0x8000,
    0xffff, 0x10000, 0x100000, 0x100001, 0x7fffffff, 0x80000000, 0xffffffff, ~std::uint64_t{0}};

}  // namespace

std::string Mutator::mutate(const std::vector<std::string>& seeds) {
  std::string input = seeds.empty() ? std::string() : seeds[below(seeds.size())];
  const std::size_t rounds = 1 + below(4);
  for (std::size_t i = 0; i < rounds; ++i) mutate_once(input, seeds);
  return input;
}

void Mutator::mutate_once(std::string& input, const std::vector<std::string>& seeds) {
  const auto random_byte = [this] { return static_cast<char>(rng_() & 0xff); };
  switch (below(10)) {
    case 0:  // flip one bit
      if (!input.empty()) input[below(input.size())] ^= static_cast<char>(1u << below(8));
      break;
    case 1:  // overwrite a byte
      if (!input.empty()) input[below(input.size())] = random_byte();
      break;
    case 2: {  // insert random bytes
      const std::size_t at = below(input.size() + 1);
      std::string bytes(1 + below(8), '\0');
      for (char& c : bytes) c = random_byte();
      input.insert(at, bytes);
      break;
    }
    case 3:  // delete a range
      if (!input.empty()) {
        const std::size_t at = below(input.size());
        input.erase(at, 1 + below(std::min<std::size_t>(16, input.size() - at)));
      }
      break;
    case 4:  // truncate
      input.resize(below(input.size() + 1));
      break;
    case 5: {  // splice: a prefix of this input and a suffix of another seed
      if (seeds.empty()) break;
      const std::string& other = seeds[below(seeds.size())];
      input = input.substr(0, below(input.size() + 1)) + other.substr(below(other.size() + 1));
      break;
    }
    case 6: {  // a boundary integer, 1/2/4/8 bytes, big- or little-endian, over or into the input
      const std::uint64_t value = kBoundaries[below(kBoundaries.size())];
      const std::size_t width = std::size_t{1} << below(4);
      const bool big_endian = (rng_() & 1) != 0;
      std::string bytes(width, '\0');
      for (std::size_t k = 0; k < width; ++k) {
        const std::size_t shift = 8 * (big_endian ? width - 1 - k : k);
        bytes[k] = static_cast<char>(shift < 64 ? (value >> shift) & 0xff : 0);
      }
      const std::size_t at = below(input.size() + 1);
      if ((rng_() & 1) != 0 && at + width <= input.size()) {
        input.replace(at, width, bytes);
      } else {
        input.insert(at, bytes);
      }
      break;
    }
    case 7:  // a dictionary token
      if (!dictionary_.empty()) {
        input.insert(below(input.size() + 1), dictionary_[below(dictionary_.size())]);
      }
      break;
    case 8: {  // duplicate a range (repeated records, frames, lines)
      if (input.empty()) break;
      const std::size_t at = below(input.size());
      const std::size_t length = 1 + below(std::min<std::size_t>(64, input.size() - at));
      const std::string range = input.substr(at, length);
      input.insert(below(input.size() + 1), range);
      break;
    }
    default:  // small arithmetic on a byte (off-by-one lengths, counts, types)
      if (!input.empty()) {
        char& c = input[below(input.size())];
        c = static_cast<char>(c + static_cast<char>(below(9)) - 4);
      }
      break;
  }
}

}  // namespace pma::fuzz
