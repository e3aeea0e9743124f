// Tests' view of a sync::ReserveOutcome: HQ's reply when it answered (granted or refused), or
// why it did not. Checks that the outcome's type agrees with the reply it carries.
#pragma once

#include <catch2/catch.hpp>
#include <expected>
#include <variant>

#include "client/reservations.h"

namespace pma::test {

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
