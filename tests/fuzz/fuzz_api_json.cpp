// Fuzz target: local API request bodies through api::parse_json (Protobuf's JSON mapping) into
// the request message the first byte picks: Lookup, Quote, Commit, Refund, RegisterMember,
// PrintReceipt, RenderReceipt. Properties: no throw; a rejection is "bad_json" or
// "unknown_field" with a message and maps to HTTP 400; an accepted body prints with to_json
// and parses back to the same message.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "agent/api/json.h"
#include "pma/v1/api.pb.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/receipt.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

std::unique_ptr<google::protobuf::Message> request_message(std::uint8_t pick) {
  switch (pick % 7) {
    case 0:
      return std::make_unique<pma::v1::LookupRequest>();
    case 1:
      return std::make_unique<pma::v1::QuoteRequest>();
    case 2:
      return std::make_unique<pma::v1::CommitRequest>();
    case 3:
      return std::make_unique<pma::v1::RefundRequest>();
    case 4:
      return std::make_unique<pma::v1::RegisterMemberRequest>();
    case 5:
      return std::make_unique<pma::v1::PrintReceiptRequest>();
    default:
      return std::make_unique<pma::v1::RenderReceiptRequest>();
  }
}

}  // namespace

using pma::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const std::uint8_t pick = in.u8();
  const std::string_view body = in.rest();
  auto message = request_message(pick);
  auto ok = pma::api::parse_json(body, *message);
  if (!ok) {
    pma::fuzz::check_error(ok.error(), {"bad_json", "unknown_field"}, "parse_json");
    check(pma::api::status_for(ok.error().code) == 400, "a body error is not HTTP 400");
    const std::string& said = ok.error().message;
    check(said.find("TYPE_") == std::string::npos && said.find("googleapis") == std::string::npos,
          "a body error speaks of protobuf's types: " + said);
    return 0;
  }
  const std::string json = pma::api::to_json(*message);
  check(!json.empty() && json.front() == '{', "an accepted request does not print as an object");
  auto round = request_message(pick);
  auto again = pma::api::parse_json(json, *round);
  check(again.has_value(),
        fmt::format("to_json output does not parse back: {}", again ? "" : again.error().message));
  check(round->SerializeAsString() == message->SerializeAsString(),
        fmt::format("a {} changes through to_json/parse_json", message->GetTypeName()));
  return 0;
}
