// Realistic synthetic members for demos and benchmarks: valid mainland mobile numbers, Chinese
// names, birthdays, tiers and balances. Deterministic for a (seed, index); thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/store/member_store.h"

namespace pma::admin {

struct DemoMember {
  std::string member_id;  // "M00000001"
  std::string card_no;    // 16 digits, "8860..."
  std::string phone;      // normalised 11 digits, unique per index
  std::string name;       // e.g. "王秀英"
  std::string birthday;   // "MM-DD"
  int tier = 1;
  std::int64_t points = 0;
};

class DemoMemberGenerator {
 public:
  explicit DemoMemberGenerator(std::uint64_t seed = 2026) : seed_(seed) {}
  // The index-th member (0-based); indexes below 100,000,000 give unique cards and phones.
  DemoMember make(std::int64_t index) const;

 private:
  std::uint64_t seed_;
};

// Writes `count` demo members starting at index `first` in transactions of `chunk` rows,
// calling progress(done, count) after each chunk.
Status seed_demo_members(store::Database& db, store::MemberStore& members, std::int64_t first,
                         std::int64_t count, std::uint64_t seed, std::int64_t now,
                         const std::function<void(std::int64_t, std::int64_t)>& progress = {},
                         std::int64_t chunk = 10000);

}  // namespace pma::admin
