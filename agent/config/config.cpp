#include "agent/config/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "pma/error.h"

namespace pma::config {

namespace {

// Where a value came from, for messages.
struct Place {
  const std::string& origin;
  std::string key;
  toml::source_position where;
};

std::string at(const Place& p) { return fmt::format("{}:{}: {}", p.origin, p.where.line, p.key); }

using Setter = std::function<Status(const toml::node&, const Place&)>;

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

Setter integer_field(std::int64_t& out, std::int64_t min, std::int64_t max) {
  return [&out, min, max](const toml::node& node, const Place& p) -> Status {
    if (!node.is_integer()) {
      return fail("config_bad_value", fmt::format("{}: expected an integer", at(p)));
    }
    std::int64_t value = *node.value<std::int64_t>();
    if (value < min || value > max) {
      return fail("config_bad_value",
                  fmt::format("{}: {} is out of range {}..{}", at(p), value, min, max));
    }
    out = value;
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

template <typename T, typename Parse>
Setter parsed_field(T& out, Parse parse) {
  return [&out, parse](const toml::node& node, const Place& p) -> Status {
    auto text = node.value<std::string>();
    if (!node.is_string() || !text) {
      return fail("config_bad_value", fmt::format("{}: expected a string", at(p)));
    }
    auto value = parse(*text);
    if (!value) {
      return fail("config_bad_value", fmt::format("{}: {}", at(p), value.error().message));
    }
    out = *value;
    return {};
  };
}

template <typename T>
Setter sized_field(T& out, std::int64_t min, std::int64_t max) {
  return [&out, min, max](const toml::node& node, const Place& p) -> Status {
    std::int64_t value = 0;
    if (auto ok = integer_field(value, min, max)(node, p); !ok) return ok;
    out = static_cast<T>(value);
    return {};
  };
}

Setter string_list_field(std::vector<std::string>& out) {
  return [&out](const toml::node& node, const Place& p) -> Status {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return fail("config_bad_value", fmt::format("{}: expected an array of strings", at(p)));
    }
    std::vector<std::string> values;
    for (const toml::node& item : *array) {
      auto value = item.value<std::string>();
      if (!item.is_string() || !value) {
        return fail("config_bad_value", fmt::format("{}: expected an array of strings", at(p)));
      }
      values.push_back(*value);
    }
    out = std::move(values);
    return {};
  };
}

Setter hq_keys_field(std::map<std::uint32_t, std::string>& out) {
  return [&out](const toml::node& node, const Place& p) -> Status {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return fail("config_bad_value",
                  fmt::format("{}: expected a table of key id = \"PEM file\"", at(p)));
    }
    for (const auto& [id, path] : *table) {
      std::string id_text(id.str());
      Place entry{p.origin, p.key + "." + id_text, path.source().begin};
      std::uint32_t key_id = 0;
      try {
        std::size_t used = 0;
        unsigned long parsed = std::stoul(id_text, &used);
        if (used != id_text.size() || parsed == 0 || parsed > 0xffffffffUL)
          throw std::out_of_range("id");
        key_id = static_cast<std::uint32_t>(parsed);
      } catch (const std::exception&) {
        return fail("config_bad_value",
                    fmt::format("{}: HQ key ids are whole numbers from 1", at(entry)));
      }
      auto file = path.value<std::string>();
      if (!path.is_string() || !file || file->empty()) {
        return fail("config_bad_value", fmt::format("{}: expected a PEM file path", at(entry)));
      }
      out[key_id] = *file;
    }
    return {};
  };
}

// One sync.hq entry: "host:port", "host" (port 7443) or "[v6 address]:port".
Result<HqNode> parse_hq_node(std::string_view text) {
  HqNode node;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail("config_bad_value", "unclosed '['");
    node.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return fail("config_bad_value", "expected :port after ']'");
    }
    if (!rest.empty()) port = rest.substr(1);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) {
      return fail("config_bad_value", "an IPv6 address goes in brackets: \"[::1]:7443\"");
    }
    node.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (port.empty()) return fail("config_bad_value", "empty port after ':'");
  } else {
    node.host = std::string(text);
  }
  if (node.host.empty() || node.host.find_first_of(" \t/") != std::string::npos) {
    return fail("config_bad_value", "expected \"host:port\"");
  }
  if (!port.empty()) {
    std::int64_t value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) {
        return fail("config_bad_value", "the port is not a number from 1 to 65535");
      }
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) {
      return fail("config_bad_value", "the port is not a number from 1 to 65535");
    }
    node.port = value;
  }
  return node;
}

Setter hq_nodes_field(std::vector<HqNode>& out) {
  return [&out](const toml::node& node, const Place& p) -> Status {
    std::vector<std::string> texts;
    PMA_TRY(string_list_field(texts)(node, p));
    if (texts.empty()) {
      return fail("config_bad_value", fmt::format("{}: list at least one \"host:port\"", at(p)));
    }
    std::vector<HqNode> nodes;
    for (const auto& text : texts) {
      auto parsed = parse_hq_node(text);
      if (!parsed) {
        return fail("config_bad_value",
                    fmt::format("{}: '{}': {}", at(p), text, parsed.error().message));
      }
      nodes.push_back(std::move(*parsed));
    }
    out = std::move(nodes);
    return {};
  };
}

using Section = std::map<std::string, Setter>;

Section scanner_schema(scanner::ScannerConfig& s) {
  return {
      {"name", string_field(s.name)},
      {"kind", parsed_field(s.kind, scanner::parse_scanner_kind)},
      {"path", string_field(s.path)},
      {"driver", parsed_field(s.serial_driver, serial::parse_serial_driver)},
      {"baud", sized_field(s.serial.baud, 50, 4000000)},
      {"parity", parsed_field(s.serial.parity, serial::parse_parity)},
      {"data_bits", sized_field(s.serial.data_bits, 5, 8)},
      {"stop_bits", sized_field(s.serial.stop_bits, 1, 2)},
      {"flow_control", parsed_field(s.serial.flow_control, serial::parse_flow_control)},
      {"terminator", parsed_field(s.terminator, scanner::parse_terminator)},
      {"intercharacter_timeout_ms", sized_field(s.intercharacter_timeout_ms, 1, 10000)},
      {"duplicate_window_ms", sized_field(s.duplicate_window_ms, 0, 60000)},
      {"max_length", sized_field(s.max_length, 1, 65536)},
      {"strip_aim", bool_field(s.strip_aim)},
      {"layout", string_field(s.layout)},
      {"grab", bool_field(s.grab)},
      {"bind_address", string_field(s.bind_address)},
      {"allow_remote", bool_field(s.allow_remote)},
      {"port", sized_field(s.port, 1, 65535)},
  };
}

Setter all_status_fields(PrinterConfig& p) {
  return [&p](const toml::node& node, const Place& place) -> Status {
    bool value = true;
    if (auto ok = bool_field(value)(node, place); !ok) return ok;
    p.tcp.status_queries = p.device.status_queries = p.serial.status_queries = value;
    return {};
  };
}

Setter write_timeout_fields(PrinterConfig& p) {
  return [&p](const toml::node& node, const Place& place) -> Status {
    std::int64_t ms = 0;
    if (auto ok = integer_field(ms, 100, 600000)(node, place); !ok) return ok;
    p.tcp.write_timeout = p.device.write_timeout = p.serial.write_timeout =
        std::chrono::milliseconds(ms);
    return {};
  };
}

Setter path_fields(PrinterConfig& p) {
  return [&p](const toml::node& node, const Place& place) -> Status {
    if (auto ok = string_field(p.device.path)(node, place); !ok) return ok;
    p.serial.path = p.device.path;
    return {};
  };
}

Section printer_schema(PrinterConfig& p) {
  return {
      {"name", string_field(p.name)},
      {"transport", string_field(p.transport)},
      {"paper", parsed_field(p.paper, printer::parse_paper)},
      {"retry_ms", integer_field(p.retry_ms, 50, 600000)},
      {"host", string_field(p.tcp.host)},
      {"port", sized_field(p.tcp.port, 1, 65535)},
      {"path", path_fields(p)},
      {"status", all_status_fields(p)},
      {"write_timeout_ms", write_timeout_fields(p)},
      {"baud", sized_field(p.serial.settings.baud, 50, 4000000)},
      {"parity", parsed_field(p.serial.settings.parity, serial::parse_parity)},
      {"data_bits", sized_field(p.serial.settings.data_bits, 5, 8)},
      {"stop_bits", sized_field(p.serial.settings.stop_bits, 1, 2)},
      {"flow_control", parsed_field(p.serial.settings.flow_control, serial::parse_flow_control)},
      {"driver", parsed_field(p.serial.driver, serial::parse_serial_driver)},
  };
}

Setter timezone_field(StoreConfig& store) {
  return [&store](const toml::node& node, const Place& place) -> Status {
    PMA_TRY(string_field(store.timezone)(node, place));
    store.timezone_set = true;
    return {};
  };
}

// The deprecated store.utc_offset_minutes: still range-checked, kept only when it is set.
Setter offset_field(std::optional<std::int64_t>& out) {
  return [&out](const toml::node& node, const Place& place) -> Status {
    std::int64_t minutes = 0;
    PMA_TRY(integer_field(minutes, -720, 840)(node, place));
    out = minutes;
    return {};
  };
}

// Applies one [[name]] entry's keys through `fields`.
Status apply_table(const toml::table& table, const std::string& name, const Section& fields,
                   const std::string& origin) {
  for (const auto& [key_name, value] : table) {
    std::string key(key_name.str());
    Place field{origin, name + "." + key, value.source().begin};
    auto setter = fields.find(key);
    if (setter == fields.end()) {
      return fail("config_unknown_key", fmt::format("{}: unknown key", at(field)));
    }
    if (auto ok = setter->second(value, field); !ok) return ok;
  }
  return {};
}

std::map<std::string, Section> schema(Config& c) {
  return {
      {"store",
       {{"id", string_field(c.store.id)},
        {"terminal", string_field(c.store.terminal)},
        {"name", string_field(c.store.name)},
        {"timezone", timezone_field(c.store)},
        {"utc_offset_minutes", offset_field(c.store.utc_offset_minutes)}}},
      {"state", {{"dir", string_field(c.state.dir)}}},
      {"database",
       {{"path", string_field(c.database.path)},
        {"synchronous", string_field(c.database.synchronous)},
        {"busy_timeout_ms", integer_field(c.database.busy_timeout_ms, 0, 600000)},
        {"cache_size_kib", integer_field(c.database.cache_size_kib, 64, 1048576)}}},
      {"api",
       {{"listen", string_field(c.api.listen)},
        {"port", integer_field(c.api.port, 1, 65535)},
        {"token_file", string_field(c.api.token_file)},
        {"max_body_bytes", integer_field(c.api.max_body_bytes, 1024, 16 << 20)},
        {"idle_timeout_ms", integer_field(c.api.idle_timeout_ms, 100, 3600000)},
        {"max_connections", integer_field(c.api.max_connections, 1, 100000)},
        {"allowed_origins", string_list_field(c.api.allowed_origins)}}},
      {"privacy", {{"phone_hash_key_file", string_field(c.privacy.phone_hash_key_file)}}},
      {"log", {{"level", string_field(c.log.level)}}},
      {"demo", {{"seed_members", integer_field(c.demo.seed_members, 0, 10000000)}}},
      {"codes",
       {{"card_prefix", string_field(c.codes.rules.card_prefix)},
        {"card_min_length", sized_field(c.codes.rules.card_min_length, 1, 64)},
        {"card_max_length", sized_field(c.codes.rules.card_max_length, 1, 64)},
        {"card_digits_only", bool_field(c.codes.rules.card_digits_only)},
        {"phone_enabled", bool_field(c.codes.rules.phone_enabled)},
        {"coupon_prefix", string_field(c.codes.rules.coupon_prefix)},
        {"coupon_min_length", sized_field(c.codes.rules.coupon_min_length, 1, 64)},
        {"coupon_max_length", sized_field(c.codes.rules.coupon_max_length, 1, 64)},
        {"hq_keys", hq_keys_field(c.codes.hq_keys)}}},
      {"events", {{"replay_buffer", integer_field(c.events.replay_buffer, 1, 1000000)}}},
      {"sync",
       {{"hq", hq_nodes_field(c.sync.hq)},
        {"hq_host", string_field(c.sync.hq_host)},
        {"hq_port", integer_field(c.sync.hq_port, 1, 65535)},
        {"ca", string_field(c.sync.ca_file)},
        {"cert", string_field(c.sync.cert_file)},
        {"key", string_field(c.sync.key_file)},
        {"trickle_interval_ms", integer_field(c.sync.trickle_interval_ms, 200, 3600000)},
        {"io_timeout_ms", integer_field(c.sync.io_timeout_ms, 100, 600000)},
        {"backoff_initial_ms", integer_field(c.sync.backoff_initial_ms, 100, 3600000)},
        {"backoff_max_ms", integer_field(c.sync.backoff_max_ms, 100, 86400000)},
        {"max_batch_deltas", integer_field(c.sync.max_batch_deltas, 1, 100000)},
        {"max_batch_bytes", integer_field(c.sync.max_batch_bytes, 1024, 1 << 20)},
        {"max_page_members", integer_field(c.sync.max_page_members, 1, 100000)},
        {"reconcile_start", string_field(c.sync.reconcile_start)},
        {"reconcile_window_minutes", integer_field(c.sync.reconcile_window_minutes, 1, 1440)},
        {"reserve_timeout_ms", integer_field(c.sync.reserve_timeout_ms, 0, 10000)}}},
      {"printing",
       {{"receipt_printer", string_field(c.printing.receipt_printer)},
        {"print_on_commit", bool_field(c.printing.print_on_commit)}}},
  };
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return fail("config_syntax", fmt::format("{}:{}:{}: {}", origin, e.source().begin.line,
                                             e.source().begin.column, e.description()));
  }
  Config config;
  auto sections = schema(config);
  std::map<std::string, std::int64_t> lines;  // "section.key" -> line, for validate() errors
  for (const auto& [section_name, section_node] : root) {
    std::string section(section_name.str());
    Place place{origin, section, section_node.source().begin};
    if (section == "scanner" || section == "printer") {
      const toml::array* entries = section_node.as_array();
      if (entries == nullptr || !entries->is_array_of_tables()) {
        return fail("config_bad_value",
                    fmt::format("{}: expected [[{}]] tables", at(place), section));
      }
      for (const toml::node& entry : *entries) {
        Place entry_place{origin, section, entry.source().begin};
        Status valid;
        if (section == "scanner") {
          scanner::ScannerConfig scanner;
          PMA_TRY(apply_table(*entry.as_table(), section, scanner_schema(scanner), origin));
          // A non-loopback listener is named by the bind_address line itself.
          if (auto bind = scanner.check_bind_address(); !bind) {
            const toml::node* key = entry.as_table()->get("bind_address");
            Place key_place{origin, "scanner.bind_address",
                            key ? key->source().begin : entry.source().begin};
            return fail("config_bad_value",
                        fmt::format("{}: {}", at(key_place), bind.error().message));
          }
          valid = scanner.validate();
          config.scanners.push_back(std::move(scanner));
        } else {
          PrinterConfig printer;
          PMA_TRY(apply_table(*entry.as_table(), section, printer_schema(printer), origin));
          valid = printer.validate();
          config.printers.push_back(std::move(printer));
        }
        if (!valid) {
          return fail("config_bad_value",
                      fmt::format("{}: {}", at(entry_place), valid.error().message));
        }
      }
      continue;
    }
    auto known = sections.find(section);
    if (known == sections.end()) {
      return fail(
          "config_unknown_key",
          fmt::format(
              "{}: unknown section; known sections are store, state, database, "
              "api, privacy, log, demo, codes, events, printing, sync, [[scanner]], [[printer]]",
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
        std::string keys;
        for (const auto& [k, _] : known->second) keys += (keys.empty() ? "" : ", ") + k;
        return fail("config_unknown_key",
                    fmt::format("{}: unknown key; [{}] knows {}", at(field), section, keys));
      }
      PMA_TRY(setter->second(value, field));
    }
  }
  if (auto ok = config.validate(); !ok) {
    // validate() messages start with the key ("api.listen: ..."): add the line it is on.
    const std::string& message = ok.error().message;
    auto line = lines.find(message.substr(0, message.find(':')));
    if (line != lines.end()) {
      return fail(ok.error().code, fmt::format("{}:{}: {}", origin, line->second, message));
    }
    return fail(ok.error().code, fmt::format("{}: {}", origin, message));
  }
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("config_unreadable",
                fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace pma::config
