// The idempotency check shared by commit and refund: inside the caller's open transaction,
// a key seen before with the same request returns the first reply byte for byte; with another
// request it is refused; a record emptied by a member's erasure refuses every request.
// Thread-compatible (borrows the caller's IdempotencyStore).
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent/checkout/checkout_service.h"
#include "agent/store/idempotency.h"

namespace pma::checkout {

// nullopt: the key is new. A Reply (replayed = true): the first response. Errors:
// "idempotency_conflict" (same key, different request; `what` names it, e.g. "refund R-1"),
// "idempotency_corrupt" (the stored reply does not decode), "member_erased" (the key's member
// was erased: nothing is committed again), SQLite errors.
template <typename Response>
Result<std::optional<Reply<Response>>> find_replay(store::IdempotencyStore& idempotency,
                                                   const std::string& key,
                                                   const std::string& request_bytes,
                                                   std::string_view what) {
  PMA_TRY_ASSIGN(auto previous, idempotency.find(key));
  if (!previous) return std::optional<Reply<Response>>();
  if (previous->request.empty() && previous->response.empty()) {
    // store/member_rows.h: the record of a member HQ has erased keeps only its key.
    return fail(
        "member_erased",
        fmt::format("{} was recorded for a member since erased; its reply is not kept", what));
  }
  if (previous->request != request_bytes) {
    return fail("idempotency_conflict",
                fmt::format("{} was already recorded with a different body", what));
  }
  Reply<Response> reply{.bytes = std::move(previous->response), .replayed = true};
  if (!reply.message.ParseFromString(reply.bytes)) {
    return fail("idempotency_corrupt", fmt::format("stored reply for {} cannot be decoded", what));
  }
  return std::optional<Reply<Response>>(std::move(reply));
}

}  // namespace pma::checkout
