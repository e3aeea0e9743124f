// Each config struct's validate() and the paths that default into the state folder.
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <utility>

#include "agent/config/config.h"
#include "pma/ids.h"

namespace pma::config {

Status StoreConfig::validate() const {
  // The rule HQ applies to the certificate's OU and CN (pma/ids.h).
  for (const auto& [key, value] :
       {std::pair{"store.id", &id}, std::pair{"store.terminal", &terminal}}) {
    if (!is_valid_store_or_terminal_id(*value)) {
      return fail("config_bad_value",
                  fmt::format("{}: '{}' is not {} (no '-')", key, *value, kStoreOrTerminalIdRule));
    }
  }
  if (timezone.empty()) return fail("config_bad_value", "store.timezone: must not be empty");
  if (auto known = StoreZone::named(timezone); !known) {
    return fail("config_bad_value", fmt::format("store.timezone: {}", known.error().message));
  }
  return {};
}

Result<StoreZone> StoreConfig::zone() const {
  if (utc_offset_minutes && !timezone_set) {
    return StoreZone::fixed_offset(static_cast<int>(*utc_offset_minutes));
  }
  auto zone = StoreZone::named(timezone);
  if (!zone) {
    return fail("config_bad_value", fmt::format("store.timezone: {}", zone.error().message));
  }
  return zone;
}

std::string StoreConfig::deprecation_warning() const {
  if (!utc_offset_minutes) return {};
  if (timezone_set) {
    return fmt::format(
        "store.utc_offset_minutes is deprecated and ignored: store.timezone '{}' decides the "
        "store-local date; remove store.utc_offset_minutes",
        timezone);
  }
  return fmt::format(
      "store.utc_offset_minutes is deprecated: store-local dates use the fixed offset {} "
      "minutes (no daylight saving) until store.timezone names the store's IANA zone "
      "(e.g. \"Asia/Shanghai\"); the key goes in a later release",
      *utc_offset_minutes);
}

Status StateConfig::validate() const {
  if (dir.empty()) return fail("config_bad_value", "state.dir: must not be empty");
  return {};
}

Status DatabaseConfig::validate() const {
  if (synchronous != "FULL" && synchronous != "NORMAL" && synchronous != "OFF") {
    return fail("config_bad_value", fmt::format("database.synchronous: '{}' is not one of FULL, "
                                                "NORMAL, OFF",
                                                synchronous));
  }
  return {};
}

// An origin as a browser sends it: "http://host" or "https://host:port", nothing after.
Status validate_origin(const std::string& origin) {
  std::string_view rest(origin);
  if (rest.find('*') != std::string_view::npos) {
    return fail("config_bad_value", fmt::format("'{}': wildcards are not allowed; list each "
                                                "origin exactly",
                                                origin));
  }
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return fail("config_bad_value",
                fmt::format("'{}' is not an origin: expected http://host or https://host[:port] "
                            "(\"null\" and other schemes are not allowed)",
                            origin));
  }
  if (rest.empty() || rest.find_first_of("/?#@ \\") != std::string_view::npos) {
    return fail("config_bad_value",
                fmt::format("'{}' is not an origin: scheme://host[:port] with no path, query or "
                            "trailing slash",
                            origin));
  }
  // The port: after the last ':' unless that is inside an IPv6 literal ("[::1]:8443").
  std::string_view host = rest;
  auto colon = rest.rfind(':');
  auto bracket = rest.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = rest.substr(colon + 1);
    host = rest.substr(0, colon);
    bool digits = !port.empty() && port.size() <= 5 &&
                  port.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return fail(
          "config_bad_value",
          fmt::format("'{}' is not an origin: the port after ':' must be 1..65535", origin));
    }
  }
  if (host.empty() || (host.front() == '[') != (host.back() == ']')) {
    return fail("config_bad_value",
                fmt::format("'{}' is not an origin: no host name before the port", origin));
  }
  return {};
}

Status ApiConfig::validate() const {
  if (!(listen.starts_with("127.") || listen == "::1" || listen == "localhost")) {
    return fail("config_bad_value",
                fmt::format("api.listen: '{}' is not a loopback address; the local API serves "
                            "127.0.0.1 or ::1 only",
                            listen));
  }
  for (const std::string& origin : allowed_origins) {
    if (auto ok = validate_origin(origin); !ok) {
      return fail("config_bad_value", fmt::format("api.allowed_origins: {}", ok.error().message));
    }
  }
  return {};
}

Status LogConfig::validate() const {
  for (const char* known : {"trace", "debug", "info", "warn", "error"}) {
    if (level == known) return {};
  }
  return fail("config_bad_value",
              fmt::format("log.level: '{}' is not one of trace, debug, info, warn, error", level));
}

Status DemoConfig::validate() const { return {}; }

Status PrinterConfig::validate() const {
  if (transport == "tcp") {
    if (auto ok = tcp.validate(); !ok)
      return fail("config_bad_value", "printer " + name + ": " + ok.error().message);
  } else if (transport == "device") {
    if (auto ok = device.validate(); !ok)
      return fail("config_bad_value", "printer " + name + ": " + ok.error().message);
  } else if (transport == "serial") {
    if (auto ok = serial.validate(); !ok)
      return fail("config_bad_value", "printer " + name + ": " + ok.error().message);
  } else {
    return fail("config_bad_value",
                fmt::format("transport '{}' is not tcp, device or serial", transport));
  }
  return {};
}

std::vector<HqNode> SyncConfig::hq_nodes() const {
  if (!hq.empty()) return hq;
  if (hq_host.empty()) return {};
  return {HqNode{hq_host, hq_port}};
}

Status SyncConfig::validate() const {
  const std::string& t = reconcile_start;
  bool ok = t.size() == 5 && t[2] == ':' && std::isdigit(static_cast<unsigned char>(t[0])) &&
            std::isdigit(static_cast<unsigned char>(t[1])) &&
            std::isdigit(static_cast<unsigned char>(t[3])) &&
            std::isdigit(static_cast<unsigned char>(t[4])) && std::stoi(t.substr(0, 2)) < 24 &&
            std::stoi(t.substr(3, 2)) < 60;
  if (!ok) {
    return fail("config_bad_value",
                fmt::format("sync.reconcile_start: '{}' is not a time HH:MM", reconcile_start));
  }
  if (!hq.empty() && !hq_host.empty()) {
    return fail("config_bad_value",
                "sync.hq: set either sync.hq (a list of \"host:port\") or sync.hq_host and "
                "sync.hq_port, not both");
  }
  if (enabled() && (ca_file.empty() || cert_file.empty() || key_file.empty())) {
    return fail("config_bad_value",
                "sync.hq_host: syncing with HQ needs sync.ca, sync.cert and sync.key (the "
                "terminal certificate from `memberhq ca issue`)");
  }
  return {};
}

Status CodesConfig::validate() const {
  if (auto ok = rules.validate(); !ok) {
    // CodeRules names its key without the section; ours start with "codes.".
    // CodeRules says "[codes] coupon_prefix must ..."; we say "codes.coupon_prefix: must ..."
    // so the loader can add the line the key is on.
    std::string message = ok.error().message;
    if (message.starts_with("[codes] ")) {
      std::string rest = message.substr(8);
      auto space = rest.find(' ');
      message = "codes." + rest.substr(0, space) + ":" +
                (space == std::string::npos ? "" : rest.substr(space));
    }
    return fail("config_bad_value", message);
  }
  return {};
}

void Config::resolve_paths() {
  namespace fs = std::filesystem;
  if (database.path.empty()) database.path = (fs::path(state.dir) / "agent.db").string();
  if (api.token_file.empty()) api.token_file = (fs::path(state.dir) / "api-token").string();
  if (privacy.phone_hash_key_file.empty()) {
    privacy.phone_hash_key_file = (fs::path(state.dir) / "phone-hash.key").string();
  }
}

Status Config::validate() const {
  for (const Status& s :
       {store.validate(), state.validate(), database.validate(), api.validate(), privacy.validate(),
        log.validate(), demo.validate(), codes.validate(), events.validate(), sync.validate()}) {
    if (!s) return s;
  }
  return {};
}

std::string Config::database_path() const { return database.path; }
std::string Config::token_path() const { return api.token_file; }
std::string Config::pos_tokens_path() const { return state.dir + "/pos-tokens"; }
std::string Config::phone_hash_key_path() const { return privacy.phone_hash_key_file; }

}  // namespace pma::config
