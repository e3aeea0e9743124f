// Random sequences of quotes, commits, replays, refunds, registrations and syncs, checking the
// checkout invariants against a model after every step. Seeded: PMA_SEED=<n> replays a failure.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "agent/store/member_store.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::Till;

namespace {

struct Model {
  std::map<std::string, std::int64_t> balance;  // member -> expected balance
  std::map<std::string, v1::CommitRequest> commits;
  std::map<std::string, std::string> commit_bytes;
  std::map<std::string, v1::RefundRequest> refunds;
  std::map<std::string, std::string> refund_bytes;
  std::map<std::string, int> coupon_uses;  // net redemptions per code
  std::int64_t deltas = 0;
};

class Run {
 public:
  Run(std::uint64_t seed, std::string path)
      : rng_(seed), till_(std::move(path), store::OpenOptions{.synchronous = "OFF"}) {
    auto rules = loyalty::default_rule_set();
    auto* pct = rules.add_coupon_templates();
    pct->set_id("pct10");
    pct->set_title("10% off bakery from 50 yuan");
    pct->set_kind(v1::CouponTemplate::KIND_PERCENT);
    pct->set_percent_off(10);
    pct->set_min_spend_fen(5000);
    pct->add_eligible_categories("bakery");
    rules.mutable_earning()->add_excluded_categories("tobacco");
    REQUIRE(till_.service->set_rules(rules));
    for (int i = 0; i < 6; ++i) {
      std::string id = fmt::format("M{}", i);
      std::int64_t points = pick(0, 4) * 700;
      till_.add_member(id, static_cast<int>(pick(1, 3)), points, i == 0 ? "05-28" : "",
                       pick(0, 2) * 240'000);
      model_.balance[id] = points;
      members_.push_back(id);
    }
    for (int i = 0; i < 10; ++i) {
      std::string code = fmt::format("C{}", i);
      till_.add_coupon(code, i < 8 ? members_[static_cast<std::size_t>(i % 6)] : "",
                       i % 2 ? "pct10" : "welcome", pick(0, 3));
      codes_.push_back(code);
    }
    codes_.push_back("NOPE");
  }

  void step() {
    switch (pick(0, 9)) {
      case 0:
        quote();
        break;
      case 1:
      case 2:
      case 3:
        commit();
        break;
      case 4:
        replay();
        break;
      case 5:
        refund();
        break;
      case 6:
        register_member();
        break;
      case 7:
        hq_ = pick(0, 1) == 1 ? checkout::Connectivity::online : checkout::Connectivity::offline;
        break;
      case 8:
        till_.clock.advance(pick(1, 3 * 24 * 60) * 60'000);
        break;
      case 9:
        sync();
        break;
    }
    check();
  }

 private:
  std::int64_t pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

  v1::CommitRequest random_request() {
    static const char* kCategories[] = {"bakery", "dairy", "tobacco"};
    v1::CommitRequest r;
    r.set_txn_id(fmt::format("T{}", next_id_++));
    if (pick(0, 5) > 0)
      r.set_member_id(members_[static_cast<std::size_t>(pick(0, members_.size() - 1))]);
    for (int i = 0, n = static_cast<int>(pick(1, 4)); i < n; ++i) {
      *r.add_lines() = basket_line(fmt::format("sku{}", pick(0, 9)), pick(1, 3), pick(1, 30000),
                                   pick(0, 3) > 0, kCategories[pick(0, 2)]);
    }
    for (int i = 0, n = static_cast<int>(pick(0, 2)); i < n; ++i) {
      r.add_coupon_codes(codes_[static_cast<std::size_t>(pick(0, codes_.size() - 1))]);
    }
    static const std::int64_t kBurns[] = {0, 0, 0, 1000, 2000, 1500};
    r.set_points_to_burn(kBurns[pick(0, 5)]);
    return r;
  }

  void quote() {
    auto r = random_request();
    v1::QuoteRequest q;
    q.set_member_id(r.member_id());
    *q.mutable_lines() = r.lines();
    *q.mutable_coupon_codes() = r.coupon_codes();
    q.set_points_to_burn(r.points_to_burn());
    std::int64_t before = till_.outbox_rows();
    (void)till_.service->quote(q, hq_);
    CHECK(till_.outbox_rows() == before);
  }

  void commit() {
    auto r = random_request();
    auto reply = till_.service->commit(r, hq_);
    CHECK(till_.scalar(fmt::format("SELECT COUNT(*) FROM outbox WHERE txn_id = '{}'",
                                   r.txn_id())) == (reply ? 1 : 0));
    if (!reply) return;
    const auto& q = reply->message.quote();
    if (!r.member_id().empty()) {
      model_.balance[r.member_id()] += q.points_to_earn() - q.points_burned();
      CHECK(reply->message.new_balance() == model_.balance[r.member_id()]);
    }
    for (const auto& c : q.coupons()) ++model_.coupon_uses[c.code()];
    model_.commits[r.txn_id()] = r;
    model_.commit_bytes[r.txn_id()] = reply->bytes;
    ++model_.deltas;
  }

  void replay() {
    if (model_.commits.empty()) return;
    auto it = std::next(model_.commits.begin(), pick(0, model_.commits.size() - 1));
    v1::CommitRequest r = it->second;
    if (pick(0, 3) == 0) {
      r.set_points_to_burn(r.points_to_burn() + 1000);
      CHECK(till_.service->commit(r, hq_).error().code == "idempotency_conflict");
      return;
    }
    auto reply = till_.service->commit(r, hq_);
    REQUIRE(reply);
    CHECK(reply->replayed);
    CHECK(reply->bytes == model_.commit_bytes[r.txn_id()]);
  }

  void refund() {
    if (model_.commits.empty()) return;
    if (!model_.refunds.empty() && pick(0, 3) == 0) {
      auto it = std::next(model_.refunds.begin(), pick(0, model_.refunds.size() - 1));
      auto reply = till_.service->refund(it->second, hq_);
      REQUIRE(reply);
      CHECK(reply->bytes == model_.refund_bytes[it->first]);
      return;
    }
    auto it = std::next(model_.commits.begin(), pick(0, model_.commits.size() - 1));
    v1::RefundRequest r;
    r.set_refund_id(fmt::format("R{}", next_id_++));
    r.set_original_txn_id(it->first);
    if (pick(0, 1) == 1) {
      auto* line = r.add_lines();
      line->set_line_index(static_cast<int>(pick(0, it->second.lines_size() - 1)));
      line->set_qty(pick(1, 2));
    }
    auto reply = till_.service->refund(r, hq_);
    if (!reply) {
      CHECK((reply.error().code == "already_refunded" ||
             reply.error().code == "refund_exceeds_purchase"));
      return;
    }
    const auto& m = reply->message;
    if (!m.member_id().empty()) {
      model_.balance[m.member_id()] += m.points_restored() - m.points_reversed();
      CHECK(m.new_balance() == model_.balance[m.member_id()]);
    }
    for (const auto& c : m.coupons_restored()) --model_.coupon_uses[c];
    model_.refunds[r.refund_id()] = r;
    model_.refund_bytes[r.refund_id()] = reply->bytes;
    ++model_.deltas;
  }

  void register_member() {
    v1::RegisterMemberRequest r;
    r.set_phone(fmt::format("1391234{:04}", pick(0, 5)));
    auto reply = till_.service->register_member(r);
    REQUIRE(reply);
    if (!reply->created()) return;
    members_.push_back(reply->member().member_id());
    model_.balance[reply->member().member_id()] = 0;
    codes_.push_back(reply->welcome_coupons(0).code());
    ++model_.deltas;
  }

  // What the sync engineer does when HQ's watermark passes a seq: HQ's balance absorbs the
  // rows and they are marked reflected. Balances must not move.
  void sync() {
    std::int64_t watermark = pick(0, till_.scalar("SELECT COALESCE(MAX(seq), 0) FROM outbox"));
    REQUIRE(till_.db->exec(fmt::format(
        "UPDATE members SET hq_points = hq_points + (SELECT COALESCE(SUM(points), 0) FROM ledger "
        "WHERE ledger.member_id = members.member_id AND hq_reflected = 0 AND outbox_seq <= {0}); "
        "UPDATE ledger SET hq_reflected = 1 WHERE hq_reflected = 0 AND outbox_seq <= {0};",
        watermark)));
  }

  void check() {
    store::MemberStore members(*till_.db, till_.hasher);
    for (const auto& [id, expected] : model_.balance) {
      auto m = members.find_by_id(id, 0);
      REQUIRE(m);
      REQUIRE(*m);
      CHECK((*m)->points == expected);
      CHECK(till_.balance(id) == expected);
    }
    for (const auto& [code, uses] : model_.coupon_uses) {
      CHECK((uses == 0 || uses == 1));
      if (code != "NOPE") CHECK(till_.coupon_state(code) == (uses == 1 ? "redeemed" : "issued"));
    }
    CHECK(till_.outbox_rows() == model_.deltas);
    // Seqs strictly increase in insertion order.
    CHECK(till_.scalar("SELECT COUNT(*) FROM outbox a JOIN outbox b ON a.rowid < b.rowid "
                       "AND a.seq >= b.seq") == 0);
  }

  std::mt19937_64 rng_;
  Till till_;
  Model model_;
  std::vector<std::string> members_;
  std::vector<std::string> codes_;
  int next_id_ = 0;
  // What the till knows of HQ, switched at random between operations.
  checkout::Connectivity hq_ = checkout::Connectivity::offline;
};

}  // namespace

TEST_CASE("Random checkout sequences keep balances, coupons, replays and deltas right",
          "[checkout][property]") {
  std::uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("PMA_SEED")) seed = std::strtoull(env, nullptr, 10);
  int sequences = 1000, steps = 20;
  if (const char* env = std::getenv("PMA_PROPERTY_SEQUENCES")) sequences = std::atoi(env);
  std::cout << "property test seed: " << seed << " (PMA_SEED=" << seed << " to replay)\n";
  INFO("seed " << seed);
  // Each sequence starts from a copy of one migrated database file: migrating (and switching
  // to WAL) a thousand fresh files costs more than the sequences themselves.
  pma::test::TempDir dir;
  const std::string blank = dir.file("blank.db");
  REQUIRE(store::open_store(blank));
  std::mt19937_64 seeds(seed);
  for (int s = 0; s < sequences; ++s) {
    std::uint64_t sequence_seed = seeds();
    INFO("sequence " << s << " seed " << sequence_seed);
    const std::string path = dir.file(fmt::format("seq{}.db", s));
    std::filesystem::copy_file(blank, path);
    {
      Run run(sequence_seed, path);
      for (int i = 0; i < steps; ++i) run.step();
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
}
