// Fuzz target: ESC/POS real-time status replies (printer/status.h).
// Properties: no throw; parse_full_status accepts exactly 4 bytes that each carry the fixed
// bits (reply & 0x93 == 0x12), otherwise "printer_status_malformed"; an accepted status is
// known, ready() iff reason() is empty, reason() is one of the documented words; queries
// outside 1..4 are rejected and leave the status unknown.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "drivers/printer/status.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using pma::fuzz::check;
using namespace pma::printer;

bool well_formed(std::uint8_t reply) { return (reply & 0x93) == 0x12; }

void check_status(const PrinterStatus& status) {
  const std::string reason = status.reason();
  check(reason.empty() || reason == "paper_out" || reason == "cover_open" || reason == "error" ||
            reason == "offline" || reason == "unknown",
        fmt::format("undocumented reason '{}'", reason));
  // ready() may still be false with an empty reason only for faults reason() does not name.
  if (status.ready()) check(reason.empty(), "ready printer gives a reason to wait");
  if (!reason.empty()) check(!status.ready(), "a reason to wait but ready");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = pma::fuzz::as_text(data, size);
  auto full = parse_full_status(bytes);
  bool expect_ok = size == 4;
  for (std::size_t i = 0; i < size && i < 4; ++i) expect_ok = expect_ok && well_formed(data[i]);
  check(full.has_value() == expect_ok,
        fmt::format("parse_full_status {} a reply it should {}", full ? "accepted" : "rejected",
                    expect_ok ? "accept" : "reject"));
  if (full) {
    check(full->known, "an accepted status is not known");
    check_status(*full);
  } else {
    pma::fuzz::check_error(full.error(), {"printer_status_malformed"}, "parse_full_status");
  }

  // Byte pairs as (query, reply), queries unchecked: what a confused transport could pass.
  PrinterStatus status;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    const auto query = static_cast<StatusQuery>(data[i]);
    const bool before = status.known;
    auto applied = apply_status_reply(status, query, data[i + 1]);
    const bool valid_query = data[i] >= 1 && data[i] <= 4;
    check(applied.has_value() == (valid_query && well_formed(data[i + 1])),
          fmt::format("apply_status_reply(query {}, 0x{:02x}) {}", data[i], data[i + 1],
                      applied ? "accepted" : "rejected"));
    if (applied) {
      check(status.known, "an applied reply leaves the status unknown");
    } else {
      pma::fuzz::check_error(applied.error(), {"printer_status_malformed"}, "apply_status_reply");
      check(status.known == before, "a rejected reply changed whether the status is known");
    }
    check_status(status);
  }
  return 0;
}
