#include "agent/log/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#if PMA_HAVE_SYSTEMD
#include <spdlog/sinks/systemd_sink.h>
#endif

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "pma/phone.h"

namespace pma::log {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What may stand between the digit groups of one written phone number is what
// pma::normalize_phone skips (pma::is_phone_separator), at most this many in a row.
constexpr std::size_t kMaxSeparator = 3;  // "139 - 1234 - 5678"

// Forwards each message to the inner sinks with phone numbers masked.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::vector<spdlog::sink_ptr> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string redacted = redact_phones(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
    for (auto& sink : inner_) {
      if (sink->should_log(copy.level)) sink->log(copy);
    }
  }
  void flush_() override {
    for (auto& sink : inner_) sink->flush();
  }

 private:
  std::vector<spdlog::sink_ptr> inner_;
};

}  // namespace

std::string redact_phones(std::string_view text) {
  // Digit runs, and whether each is joined to the next by a short separator of the kind a
  // written phone number uses ("139-1234-5678", "139 1234 5678", "(+86) 139 ...").
  struct Run {
    std::size_t begin, end;
    bool joined_to_next;
  };
  std::vector<Run> runs;
  for (std::size_t i = 0; i < text.size();) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    std::size_t next = end;
    while (next < text.size() && next - end <= kMaxSeparator && pma::is_phone_separator(text[next]))
      ++next;
    bool joined =
        next > end && next - end <= kMaxSeparator && next < text.size() && is_digit(text[next]);
    runs.push_back({i, end, joined});
    i = end;
  }

  std::string out(text);
  std::vector<bool> in_phone(runs.size(), false);
  for (std::size_t first = 0; first < runs.size(); ++first) {
    // A leading "+" (or "(+") belongs to the number: "+86 ..." is then read as a country code.
    std::size_t begin = runs[first].begin;
    while (begin > 0 && runs[first].begin - begin < 2 &&
           (text[begin - 1] == '+' || text[begin - 1] == '(')) {
      --begin;
    }
    std::size_t digits = 0;
    for (std::size_t last = first; last < runs.size(); ++last) {
      digits += runs[last].end - runs[last].begin;
      if (digits > pma::kMaxPhoneDigits) break;
      // The API's own rule for what a mobile number is, so the log masks every form the API
      // accepts as a phone: separators, +86 / 0086 / 86 prefixes.
      if (digits >= 11 &&
          pma::normalize_phone(text.substr(begin, runs[last].end - begin)).has_value()) {
        // The number's last 11 digits are the local number: mask its 4th to 7th digit, that is
        // the 5th to 8th digit counted from the end, wherever the separators fall.
        int from_end = 0;
        for (std::size_t k = runs[last].end; k-- > runs[first].begin;) {
          if (!is_digit(out[k])) continue;
          ++from_end;
          if (from_end >= 5 && from_end <= 8) out[k] = '*';
        }
        for (std::size_t k = first; k <= last; ++k) in_phone[k] = true;
        first = last;
        break;
      }
      if (!runs[last].joined_to_next) break;
    }
  }
  // A long digit run that is not a mobile number may still hide one; mask its middle.
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::size_t size = runs[r].end - runs[r].begin;
    if (in_phone[r] || size < 11) continue;
    for (std::size_t k = runs[r].begin + 3; k < runs[r].end - 4; ++k) out[k] = '*';
  }
  return out;
}

Result<spdlog::level::level_enum> parse_level(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return fail("bad_log_level",
              "log level must be trace, debug, info, warn or error, not '" + level + "'");
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& level,
                                            spdlog::sink_ptr extra) {
  // Under systemd (stderr connected to the journal), entries go to journald as structured
  // records: MESSAGE, PRIORITY from the level, SYSLOG_IDENTIFIER = the program, so
  // `journalctl -u memberd -p warning` filters by level. Elsewhere: timestamped stderr lines.
  bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
  spdlog::sink_ptr console;
#if PMA_HAVE_SYSTEMD
  std::error_code ec;
  if (journald && std::filesystem::exists("/run/systemd/journal/socket", ec)) {
    console = std::make_shared<spdlog::sinks::systemd_sink_mt>(name);
    console->set_pattern("%v");
  }
#endif
  if (!console) {
    console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    console->set_pattern(journald ? "%l %v" : "%Y-%m-%d %H:%M:%S.%e %l %n: %v");
  }
  std::vector<spdlog::sink_ptr> inner{console};
  if (extra) inner.push_back(extra);
  auto sink = std::make_shared<RedactingSink>(std::move(inner));
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_level(parse_level(level).value_or(spdlog::level::info));
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace pma::log
