#include "log/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#if PMA_HAVE_SYSTEMD
#include <spdlog/sinks/systemd_sink.h>
#endif

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace pma::log {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    std::string_view run = text.substr(i, end - i);
    // A number may carry the country code in front of it: 86 + 11 digits.
    std::string_view local = run;
    std::string prefix;
    if (run.size() == 13 && run.starts_with("86")) prefix = "86", local = run.substr(2);
    if (local.size() == 11 && local[0] == '1' && local[1] >= '3' && local[1] <= '9') {
      out += prefix;
      out += local.substr(0, 3);
      out += "****";
      out += local.substr(7);
    } else if (run.size() >= 11) {
      // A long digit run that is not a mobile number may still hide one; mask its middle.
      out += run.substr(0, 3);
      out += std::string(run.size() - 7, '*');
      out += run.substr(run.size() - 4);
    } else {
      out += run;
    }
    i = end;
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
