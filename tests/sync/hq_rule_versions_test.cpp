// HQ judges a checkout's points by the rule set version the checkout names (an older one HQ
// published, else the newest), read once per batch: a version replaced between batches is
// judged by its new contents in the next batch.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sync/hq/sqlite_sink.h"
#include "tests/support/temp_dir.h"

namespace {

std::string rules_with(std::int64_t version, std::int64_t points_per_yuan) {
  pma::v1::RuleSet rules;
  rules.set_version(version);
  rules.mutable_earning()->set_points_per_yuan(points_per_yuan);
  return rules.SerializeAsString();
}

// A checkout of 100 yuan for M1 earning `earned` points under rule set `version`.
void add_checkout(pma::v1::Batch& batch, std::uint64_t seq, std::int64_t version,
                  std::int64_t earned) {
  pma::v1::Delta& d = *batch.add_deltas();
  d.set_seq(seq);
  d.set_txn_id(fmt::format("TX-{}", seq));
  d.set_occurred_at_ms(1'764'000'000'000);
  auto* c = d.mutable_checkout();
  c->set_member_id("M1");
  c->set_gross_fen(10'000);
  c->set_paid_fen(10'000);
  c->set_points_earned(earned);
  c->set_rule_set_version(version);
}

std::vector<std::uint64_t> refused_seqs(pma::hq::SqliteSink& sink) {
  auto conflicts = sink.conflicts();
  REQUIRE(conflicts);
  std::vector<std::uint64_t> seqs;
  for (const auto& c : *conflicts) {
    if (c.kind == "points_earned_exceeds_rules") seqs.push_back(c.seq);
  }
  return seqs;
}

}  // namespace

TEST_CASE("A checkout's points are judged by the rule set version it names, read once per batch",
          "[sync][hq][checks]") {
  pma::test::TempDir dir;
  auto sink = pma::hq::SqliteSink::open(dir.file("hq.db"));
  REQUIRE(sink);
  REQUIRE((*sink)->put_rule_set(1, rules_with(1, 10)));  // 1,000 points for 100 yuan
  REQUIRE((*sink)->put_rule_set(2, rules_with(2, 1)));   // the newest: 100 points
  const pma::net::TerminalIdentity terminal{"S1", "T1"};

  pma::v1::Batch batch;
  add_checkout(batch, 1, 1, 1000);  // within version 1
  add_checkout(batch, 2, 1, 1000);  // version 1 again in the same batch
  add_checkout(batch, 3, 2, 1000);  // beyond the newest
  add_checkout(batch, 4, 7, 1000);  // a version never published: judged by the newest
  add_checkout(batch, 5, 1, 1001);  // beyond version 1
  add_checkout(batch, 6, 2, 100);   // within the newest
  auto outcome = (*sink)->apply_batch(terminal, batch, 1);
  REQUIRE(outcome);
  CHECK(outcome->highest_applied == 6);
  CHECK(refused_seqs(**sink) == std::vector<std::uint64_t>{3, 4, 5});
  auto member = (*sink)->member("M1");
  REQUIRE(member);
  REQUIRE(*member);
  CHECK((*member)->points == 2100);

  // Version 1 replaced (another process may do so between batches): the next batch uses it.
  REQUIRE((*sink)->put_rule_set(1, rules_with(1, 1)));
  pma::v1::Batch next;
  add_checkout(next, 7, 1, 1000);
  REQUIRE((*sink)->apply_batch(terminal, next, 2));
  CHECK(refused_seqs(**sink) == std::vector<std::uint64_t>{3, 4, 5, 7});
  CHECK((*sink)->member("M1").value()->points == 2100);
}
