// Helpers for tests of reservations over a SyncWorld: running one coroutine on the world's
// io_context, and a view of a sync::ReserveOutcome as HQ's reply (granted or refused) or why
// there is none. Single-threaded, like SyncWorld.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <expected>
#include <optional>
#include <variant>

#include "client/reservations.h"

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

}  // namespace pma::test
