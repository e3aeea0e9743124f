#include "sync/hq/hq_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace pma::hq {

namespace {

struct Place {
  const std::string& origin;
  std::string key;  // "section.key"
  toml::source_position where;
};

std::string at(const Place& p) { return fmt::format("{}:{}: {}", p.origin, p.where.line, p.key); }

using Setter = std::function<Status(const toml::node&, const Place&)>;
using Section = std::map<std::string, Setter>;

Setter string_field(std::string& out) {
  return [&out](const toml::node& node, const Place& p) -> Status {
    auto value = node.value<std::string>();
    if (!node.is_string() || !value) {
      return fail("config_bad_value", fmt::format("{}: expected a string", at(p)));
    }
    out = *value;
    return {};
  };
}

Setter bool_field(bool& out) {
  return [&out](const toml::node& node, const Place& p) -> Status {
    if (!node.is_boolean()) {
      return fail("config_bad_value", fmt::format("{}: expected true or false", at(p)));
    }
    out = *node.value<bool>();
    return {};
  };
}

// An integer in [min, max], stored through `store` (the field's own type or unit).
Setter integer_field(std::int64_t min, std::int64_t max, std::function<void(std::int64_t)> store) {
  return [min, max, store](const toml::node& node, const Place& p) -> Status {
    if (!node.is_integer()) {
      return fail("config_bad_value", fmt::format("{}: expected an integer", at(p)));
    }
    std::int64_t value = *node.value<std::int64_t>();
    if (value < min || value > max) {
      return fail("config_bad_value",
                  fmt::format("{}: {} is out of range {}..{}", at(p), value, min, max));
    }
    store(value);
    return {};
  };
}

template <typename T>
Setter sized(T& out, std::int64_t min, std::int64_t max) {
  return integer_field(min, max, [&out](std::int64_t v) { out = static_cast<T>(v); });
}

Setter millis(std::chrono::milliseconds& out, std::int64_t min, std::int64_t max) {
  return integer_field(min, max, [&out](std::int64_t v) { out = std::chrono::milliseconds(v); });
}

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

std::map<std::string, Section> schema(HqConfig& c) {
  ServerConfig& s = c.server;
  return {
      {"server",
       {{"listen", string_field(s.listen_address)},
        {"port", sized(s.port, 0, 65535)},
        {"max_sessions", sized(s.max_sessions, 1, 100000)},
        {"max_sessions_per_store", sized(s.max_sessions_per_store, 1, 100000)},
        {"max_sessions_per_terminal", sized(s.max_sessions_per_terminal, 1, 64)},
        {"max_handshakes", sized(s.max_handshakes, 1, 100000)},
        {"handshake_timeout_ms", millis(s.handshake_timeout, 100, 600000)},
        {"retry_after_ms", sized(s.retry_after_ms, 100, 3600000)},
        {"max_frame_bytes", sized(s.max_frame_bytes, 1024, wire::kDefaultMaxPayload)},
        {"max_batch_deltas", sized(s.max_batch_deltas, 1, 100000)},
        {"max_page_members", sized(s.max_page_members, 1, 100000)},
        {"io_timeout_ms", millis(s.io_timeout, 100, 600000)},
        {"reservation_hold_ms", millis(s.reservation_hold, 1000, 7 * kDayMs)},
        {"last_seen_flush_ms", millis(s.last_seen_flush, 100, 3600000)}}},
      {"tls",
       {{"ca", string_field(s.tls.ca_file)},
        {"cert", string_field(s.tls.cert_file)},
        {"key", string_field(s.tls.key_file)}}},
      {"database",
       {{"path", string_field(c.database)}, {"synchronous", string_field(c.synchronous)}}},
      {"admin",
       {{"enabled", bool_field(c.admin.enabled)},
        {"listen", string_field(c.admin.listen)},
        {"port", sized(c.admin.port, 0, 65535)},
        {"allow_remote", bool_field(c.admin.allow_remote)}}},
      {"log", {{"level", string_field(c.log_level)}}},
      {"stores", {{"silent_after_hours", sized(c.silent_after_hours, 1, 24 * 366)}}},
  };
}

std::string known_keys(const Section& section) {
  std::string keys;
  for (const auto& [k, _] : section) keys += (keys.empty() ? "" : ", ") + k;
  return keys;
}

}  // namespace

Status AdminConfig::validate() const {
  if (!enabled) return {};
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(listen, ec);
  if (ec)
    return fail("config_invalid", fmt::format("admin.listen: '{}' is not an IP address", listen));
  if (!address.is_loopback() && !allow_remote) {
    return fail("config_invalid",
                fmt::format("admin.listen: {} is not a loopback address; /metrics and /health "
                            "carry no authentication: set admin.allow_remote = true to serve "
                            "them beyond this host",
                            listen));
  }
  return {};
}

Status HqConfig::validate() const {
  if (database.empty()) return fail("config_invalid", "database.path: must not be empty");
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    return fail("config_invalid",
                fmt::format("database.synchronous: '{}' is not FULL or NORMAL", synchronous));
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_known = false;
  for (auto level : kLevels) level_known = level_known || log_level == level;
  if (!level_known) {
    return fail("config_invalid",
                fmt::format("log.level: '{}' is not one of trace, debug, info, warn, error, off",
                            log_level));
  }
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(server.listen_address, ec);
  if (ec) {
    return fail("config_invalid",
                fmt::format("server.listen: '{}' is not an IP address", server.listen_address));
  }
  PMA_TRY(admin.validate());
  return server.validate();
}

HqConfig default_hq_config() {
  HqConfig config;
  config.server.tls = {"ca/ca.crt", "ca/server.crt", "ca/server.key"};
  return config;
}

Result<HqConfig> parse_hq_config(std::string_view toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return fail("config_syntax", fmt::format("{}:{}:{}: {}", origin, e.source().begin.line,
                                             e.source().begin.column, e.description()));
  }
  HqConfig config = default_hq_config();
  auto sections = schema(config);
  std::map<std::string, std::int64_t> lines;  // "section.key" -> line, for validate() errors
  for (const auto& [section_name, section_node] : root) {
    std::string section(section_name.str());
    Place place{origin, section, section_node.source().begin};
    auto known = sections.find(section);
    if (known == sections.end()) {
      return fail("config_unknown_key",
                  fmt::format("{}: unknown section; known sections are server, tls, database, "
                              "admin, log, stores",
                              at(place)));
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      return fail("config_bad_value", fmt::format("{}: expected a [{}] table", at(place), section));
    }
    for (const auto& [key_name, value] : *table) {
      std::string key(key_name.str());
      Place field{origin, section + "." + key, value.source().begin};
      lines[field.key] = field.where.line;
      auto setter = known->second.find(key);
      if (setter == known->second.end()) {
        return fail("config_unknown_key", fmt::format("{}: unknown key; [{}] knows {}", at(field),
                                                      section, known_keys(known->second)));
      }
      PMA_TRY(setter->second(value, field));
    }
  }
  if (auto ok = config.validate(); !ok) {
    // validate() messages start with the key ("admin.listen: ..."): add the line it is on.
    const std::string& message = ok.error().message;
    auto line = lines.find(message.substr(0, message.find(':')));
    if (line != lines.end()) {
      return fail(ok.error().code, fmt::format("{}:{}: {}", origin, line->second, message));
    }
    return fail(ok.error().code, fmt::format("{}: {}", origin, message));
  }
  return config;
}

Result<HqConfig> load_hq_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("config_unreadable",
                fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_hq_config(text.str(), path);
}

}  // namespace pma::hq
