#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "agent/api/port_file.h"
#include "agent/config/state_files.h"
#include "agent/ctl/commands.h"
#include "pma/v1/api.pb.h"

namespace pma::ctl {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

bool color() { return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

}  // namespace

std::string paint(std::string_view text, std::string_view code) {
  if (!color()) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

int report_error(const pma::Error& e) {
  std::cerr << "memberctl: " << e.message << " [" << e.code << "]\n";
  return 1;
}

pma::Result<pma::api::HttpClient> api_client(const Config& config) {
  auto token = pma::config::read_secret(config.token_path());
  if (!token) {
    return pma::fail(token.error().code,
                     token.error().message +
                         " (run as root or as a member of the memberd-pos group, or pass "
                         "--state-dir / --config)");
  }
  std::string host = config.api.listen == "localhost" ? "127.0.0.1" : config.api.listen;
  // The port the memberd of this state folder listens on (it writes it when it starts), so
  // `-s DIR` finds it without its config file; else the configured one.
  const auto port = pma::api::read_port_file(config.state.dir)
                        .value_or(static_cast<std::uint16_t>(config.api.port));
  return pma::api::HttpClient(host, port, *token);
}

// Parses an API reply into `message`, or turns an error body into an Error.
pma::Status decode(const pma::api::HttpReply& reply, google::protobuf::Message& message) {
  if (reply.status != 200) {
    pma::v1::ApiError error;
    if (google::protobuf::util::JsonStringToMessage(reply.body, &error).ok()) {
      return pma::fail(error.code(), error.message());
    }
    return pma::fail("api_error", fmt::format("HTTP {}: {}", reply.status, reply.body));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer memberd may say more
  if (!google::protobuf::util::JsonStringToMessage(reply.body, &message, options).ok()) {
    return pma::fail("api_error", "memberd sent a reply memberctl cannot read");
  }
  return {};
}

std::string tier_name(pma::v1::Tier tier) {
  switch (tier) {
    case pma::v1::TIER_NORMAL:
      return "normal";
    case pma::v1::TIER_SILVER:
      return "silver";
    case pma::v1::TIER_GOLD:
      return "gold";
    default:
      return "unknown";
  }
}

void row(std::string_view key, std::string_view value) {
  std::cout << fmt::format("  {:<16} {}\n", key, value);
}

Result<LocalStore> open_local_store(const Config& config) {
  store::OpenOptions options;
  options.synchronous = config.database.synchronous;
  options.busy_timeout_ms = static_cast<int>(config.database.busy_timeout_ms);
  PMA_TRY(config::ensure_state_dir(config.state.dir));
  PMA_TRY_ASSIGN(auto db, store::open_store(config.database_path(), options));
  PMA_TRY_ASSIGN(auto key, config::read_or_create_secret(config.phone_hash_key_path(), 0600));
  LocalStore local;
  local.db = std::move(db);
  local.hasher = std::make_unique<pma::PhoneHasher>(key);
  local.members = std::make_unique<store::MemberStore>(*local.db, *local.hasher);
  return local;
}

}  // namespace pma::ctl
