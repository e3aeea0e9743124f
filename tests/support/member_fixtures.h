// Shared member-store test data and a till database to put it in: a fresh agent.db in a
// TempDir (with a MemberStore over it), and the one fully described member (M1, 王小明) the store
// and API tests look up. One test owns a fixture; not thread-safe.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "agent/store/member_store.h"
#include "pma/phone.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

// M1 with every field set: card 8860000000000001, phone 13812345678, gold, 1200 points.
inline store::MemberUpsert sample_member(std::int64_t hq_version) {
  return {.member_id = "M1",
          .card_no = "8860000000000001",
          .phone = "13812345678",
          .name = "王小明",
          .birthday = "03-08",
          .tier = 3,
          .hq_points = 1200,
          .hq_version = hq_version};
}

// The till's store at `path`, opened and migrated; fails the test when it cannot be.
inline std::unique_ptr<store::Database> open_till_store(const std::string& path) {
  auto db = store::open_store(path);
  REQUIRE(db);
  return std::move(*db);
}

// A fresh agent.db in its own TempDir.
struct TillStoreFixture {
  TempDir dir;
  std::unique_ptr<store::Database> db = open_till_store(dir.file("agent.db"));
};

// A fresh agent.db in its own TempDir with a MemberStore over it.
struct MemberStoreFixture : TillStoreFixture {
  PhoneHasher hasher{"test-key"};
  store::MemberStore members{*db, hasher};
};

}  // namespace pma::test
