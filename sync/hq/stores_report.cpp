#include "sync/hq/stores_report.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace pma::hq {

const char* terminal_state_name(TerminalState state) {
  switch (state) {
    case TerminalState::active:
      return "active";
    case TerminalState::revoked:
      return "revoked";
    case TerminalState::silent:
      return "silent";
  }
  return "active";
}

std::vector<StoreRow> stores_report(
    std::span<const TerminalInfo> terminals,
    const std::map<OperationsReads::TerminalKey, std::int64_t>& last_batches, std::int64_t now_ms,
    std::int64_t silent_after_ms) {
  std::vector<StoreRow> rows;
  rows.reserve(terminals.size());
  for (const auto& t : terminals) {
    StoreRow row{t.store_id,     t.terminal_id,         t.highest_seq,  0,
                 t.last_seen_ms, TerminalState::active, t.changed_at_ms};
    if (auto it = last_batches.find({t.store_id, t.terminal_id}); it != last_batches.end()) {
      row.last_batch_ms = it->second;
    }
    if (t.revoked) {
      row.state = TerminalState::revoked;
    } else if (t.last_seen_ms == 0 || now_ms - t.last_seen_ms > silent_after_ms) {
      row.state = TerminalState::silent;
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const StoreRow& a, const StoreRow& b) {
    return std::tie(a.store_id, a.terminal_id) < std::tie(b.store_id, b.terminal_id);
  });
  return rows;
}

namespace {

std::string utc(std::int64_t ms) {
  if (ms <= 0) return "never";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(ms / 1000)));
}

std::string age(std::int64_t ms, std::int64_t now_ms) {
  if (ms <= 0) return "-";
  return std::to_string(std::max<std::int64_t>(0, now_ms - ms) / 1000);
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_ms(std::int64_t ms) { return ms > 0 ? std::to_string(ms) : "null"; }

std::string json_age(std::int64_t ms, std::int64_t now_ms) {
  return ms > 0 ? std::to_string(std::max<std::int64_t>(0, now_ms - ms) / 1000) : "null";
}

}  // namespace

std::string format_stores_table(std::span<const StoreRow> rows, std::int64_t now_ms) {
  std::string out =
      "STORE\tTERMINAL\tHIGHEST_SEQ\tLAST_BATCH\tBATCH_AGE_S\tLAST_SEEN\tSEEN_AGE_S\tSTATE\n";
  std::size_t counts[3] = {0, 0, 0};
  for (const auto& r : rows) {
    ++counts[static_cast<int>(r.state)];
    out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.store_id, r.terminal_id, r.highest_seq,
                       utc(r.last_batch_ms), age(r.last_batch_ms, now_ms), utc(r.last_seen_ms),
                       age(r.last_seen_ms, now_ms), terminal_state_name(r.state));
  }
  out += fmt::format("{} terminal(s): {} active, {} revoked, {} silent\n", rows.size(), counts[0],
                     counts[1], counts[2]);
  return out;
}

std::string format_stores_json(std::span<const StoreRow> rows, std::int64_t now_ms) {
  std::string out = fmt::format("{{\"now_ms\":{},\"terminals\":[", now_ms);
  bool first = true;
  for (const auto& r : rows) {
    if (!first) out += ',';
    first = false;
    out += fmt::format(
        "{{\"store_id\":{},\"terminal_id\":{},\"highest_seq\":{},\"last_batch_ms\":{},"
        "\"last_batch_age_s\":{},\"last_seen_ms\":{},\"last_seen_age_s\":{},\"state\":\"{}\","
        "\"changed_at_ms\":{}}}",
        json_string(r.store_id), json_string(r.terminal_id), r.highest_seq,
        json_ms(r.last_batch_ms), json_age(r.last_batch_ms, now_ms), json_ms(r.last_seen_ms),
        json_age(r.last_seen_ms, now_ms), terminal_state_name(r.state), json_ms(r.changed_at_ms));
  }
  return out + "]}\n";
}

}  // namespace pma::hq
