// Fuzz target: HQ's member base import (hq::parse_member_base), CSV or JSON lines by the first
// byte. Properties: no throw; a file refused as a whole (a CSV header) imports nobody; every
// non-blank line is a member, an error or the CSV header (at most that many when a quoted CSV
// field spans lines); error lines are in order and inside the text; no message carries a
// phone-length run of digits; an imported member has an id, a tier 1..3, a 32-byte phone hash with
// a 138****5678 mask (or neither), and text fields that are valid UTF-8 (they travel in proto3
// strings).
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "pma/utf8.h"
#include "sync/hq/member_import.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using pma::fuzz::check;

bool has_digit_run(std::string_view text, std::size_t run) {
  std::size_t n = 0;
  for (char c : text) {
    n = (c >= '0' && c <= '9') ? n + 1 : 0;
    if (n >= run) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const bool jsonl = (in.u8() & 1) != 0;
  const std::string_view text = in.rest();
  const auto parsed = pma::hq::parse_member_base(text, jsonl ? "jsonl" : "csv", "fuzz-key");

  std::size_t lines = 0, non_blank = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    ++lines;
    if (text.substr(at, end - at).find_first_not_of(" \t\r") != std::string_view::npos) {
      ++non_blank;
    }
    at = end + 1;
  }
  if (parsed.file_error) {
    check(parsed.members.empty() && !jsonl, "members imported from a refused file");
    check(parsed.file_error->code == "import_bad_header", "a file error that is not the header");
    check(!has_digit_run(parsed.file_error->message, 7),
          fmt::format("a header error may echo a phone number: {}", parsed.file_error->message));
  }
  const std::size_t header = (!jsonl && non_blank > 0) ? 1 : 0;
  const std::size_t records = parsed.members.size() + parsed.errors.size() + header;
  // Only a quoted CSV field joins lines into one record.
  const bool may_join = !jsonl && text.find('"') != std::string_view::npos;
  if (!parsed.file_error) {
    check(may_join ? records <= non_blank : records == non_blank,
          fmt::format("{} members + {} errors + {} header for {} non-blank lines",
                      parsed.members.size(), parsed.errors.size(), header, non_blank));
  }
  std::size_t previous = 0;
  for (const auto& error : parsed.errors) {
    check(error.line > previous && error.line <= lines, "an error line out of order or range");
    previous = error.line;
    check(!error.message.empty(), "an import error has no message");
    check(!has_digit_run(error.message, 7),
          fmt::format("an import error may echo a phone number: {}", error.message));
  }
  for (const auto& m : parsed.members) {
    check(!m.member_id.empty(), "a member without an id");
    check(m.tier >= 1 && m.tier <= 3, "a tier outside 1..3");
    check(m.phone_hash.empty() == m.phone_masked.empty(), "a phone hash without a mask");
    if (!m.phone_masked.empty()) {
      check(m.phone_hash.size() == 32, "a phone hash that is not 32 bytes");
      check(m.phone_masked.size() == 11 && m.phone_masked.substr(3, 4) == "****",
            "a phone mask not shaped 138****5678");
    }
    for (const std::string* field : {&m.member_id, &m.card_no, &m.name, &m.birthday}) {
      check(pma::is_valid_utf8(*field),
            fmt::format("an imported text field is not UTF-8: {}", pma::fuzz::hex(*field)));
    }
  }
  return 0;
}
