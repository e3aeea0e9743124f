// Helpers for tests of reservations over a SyncWorld: running one coroutine on the world's
// io_context, a view of a sync::ReserveOutcome as HQ's reply (granted or refused) or why there is
// none, and the requests, seeds and counts the reservation tests share. Single-threaded, like
// SyncWorld.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <expected>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pma/phone.h"
#include "sync/client/reservations.h"
#include "sync/hq/sink.h"
#include "tests/sync/sync_world.h"

namespace pma::test {

// Runs `work` on `io` to completion (deadline 30 s of io time) and returns its result.
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    REQUIRE_FALSE(e);
    out = std::move(value);
  });
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!out && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  REQUIRE(out.has_value());
  return std::move(*out);
}

// HQ's reply when it answered; checks that the outcome's type agrees with the reply it carries.
inline std::expected<pma::v1::ReserveReply, pma::sync::ReserveUnanswered> answer_of(
    pma::sync::ReserveOutcome outcome) {
  if (auto* granted = std::get_if<pma::sync::ReserveGranted>(&outcome)) {
    CHECK(granted->reply.granted());
    return std::move(granted->reply);
  }
  if (auto* refused = std::get_if<pma::sync::ReserveRefused>(&outcome)) {
    CHECK_FALSE(refused->reply.granted());
    return std::move(refused->reply);
  }
  return std::unexpected(std::get<pma::sync::ReserveUnanswered>(std::move(outcome)));
}

// The reservation tests' clock (HQ time, UTC ms) and hold lifetime.
constexpr std::int64_t kReserveNow = 1'790'000'000'000;
constexpr std::int64_t kReserveHold = 15 * 60 * 1000;

// A reservation for `txn`: `points` to burn and `coupons` to hold for `member`; `unreflected`
// (when not 0) is one local ledger entry far beyond anything HQ has applied.
inline pma::v1::ReserveRequest ask(const std::string& txn, const std::string& member,
                                   std::int64_t points, std::vector<std::string> coupons = {},
                                   std::int64_t unreflected = 0) {
  pma::v1::ReserveRequest r;
  r.set_txn_id(txn);
  r.set_member_id(member);
  r.set_points(points);
  if (unreflected != 0) {
    auto* e = r.add_unreflected();
    e->set_seq(1'000'000);
    e->set_txn_id("LOCAL-" + txn);
    e->set_points(unreflected);
  }
  for (auto& c : coupons) r.add_coupon_codes(c);
  return r;
}

inline pma::hq::TerminalIdentity terminal(const Till& till) {
  return {till.store_id, till.terminal_id};
}

// HQ's holds in force at `now_ms`.
inline std::uint64_t holds(pma::hq::Sink& sink, std::int64_t now_ms) {
  auto n = sink.active_holds(now_ms);
  REQUIRE(n.has_value());
  return n.value();
}

// `members` imported at HQ, then `till` registers a customer with the phone `phone` (the hash
// under "chain-key", as the members' own) and one welcome coupon, and syncs, so HQ holds that
// coupon for the member with that phone.
inline void seed_welcome(SyncWorld& world, Till& till,
                         const std::vector<pma::hq::ImportedMember>& members,
                         const std::string& provisional_id, const std::string& coupon,
                         const std::string& phone, const std::string& name = "") {
  REQUIRE(world.sink->import_members(members));
  pma::PhoneHasher hasher("chain-key");
  auto hash = hasher.hash(phone);
  pma::v1::Delta delta;
  auto* r = delta.mutable_member_registered();
  r->set_provisional_id(provisional_id);
  r->set_phone_hash(std::string(hash.begin(), hash.end()));
  if (!name.empty()) r->set_name(name);
  r->add_welcome_coupons(coupon);
  world.write_delta(till, delta, provisional_id, 0, "member_registered");
  REQUIRE(world.sync(till));
}

// The phone hash HQ keeps for `phone` under the tests' chain key.
inline std::vector<std::uint8_t> chain_hash(const std::string& phone) {
  auto hash = pma::PhoneHasher("chain-key").hash(phone);
  return {hash.begin(), hash.end()};
}

}  // namespace pma::test
