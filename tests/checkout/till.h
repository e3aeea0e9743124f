// A till for checkout tests: a real SQLite file in a TempDir, a manual clock, a CheckoutService,
// and direct queries that check the invariants from the database itself.
#pragma once

#include <memory>
#include <string>

#include "agent/checkout/checkout_service.h"
#include "agent/store/member_store.h"
#include "tests/support/basket.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

// 2026-05-28 02:00 UTC = 10:00 in Shanghai, a Thursday; not a member day.
constexpr std::int64_t kT0 = 1'779'933'600'000;

struct Till {
  explicit Till(std::string path = {}, store::OpenOptions options = {});

  void add_member(const std::string& id, int tier = 1, std::int64_t hq_points = 0,
                  std::string birthday = "", std::int64_t spend_12m_fen = 0);
  void add_coupon(const std::string& code, const std::string& member_id,
                  const std::string& template_id = "welcome", std::int64_t valid_days = 30);
  std::int64_t scalar(const std::string& sql);
  std::int64_t balance(const std::string& member_id);
  std::int64_t outbox_rows() { return scalar("SELECT COUNT(*) FROM outbox"); }
  std::string coupon_state(const std::string& code);

  TempDir dir;
  std::string path;
  std::unique_ptr<store::Database> db;
  pma::PhoneHasher hasher{"test-chain-key"};
  pma::ManualClock clock{kT0};
  checkout::StoreClock store_clock{clock, *StoreZone::named("Asia/Shanghai")};
  std::unique_ptr<checkout::CheckoutService> service;
};

}  // namespace pma::test
