// A real memberd API stack for tests: SQLite file in a temp folder, MemberApi, HttpServer on a
// free loopback port with an event hub for /v1/events, its io_context on a background thread;
// logs captured in memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "agent/api/event_hub.h"
#include "agent/api/http_client.h"
#include "agent/api/http_server.h"
#include "agent/api/member_api.h"
#include "agent/lookup/member_lookup.h"
#include "agent/store/member_store.h"
#include "drivers/codes/member_qr_verifier.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

// What a test may change in the server; the rest is fixed.
struct ApiFixtureOptions {
  std::size_t max_body_bytes = 4096;
  std::size_t max_connections = 256;
  std::vector<std::string> allowed_origins;
};

class ApiFixture {
 public:
  static constexpr const char* kToken = "test-token-0123456789abcdef";
  static constexpr std::int64_t kNow = 1'790'000'000;  // fixed clock for the API

  explicit ApiFixture(ApiFixtureOptions options = {});
  ~ApiFixture();

  api::HttpClient client(std::string token = kToken) const;
  std::uint16_t port() const { return server_->port(); }
  // Everything logged so far.
  std::string logs() const;

  TempDir dir;
  std::unique_ptr<store::Database> db;
  pma::PhoneHasher hasher{"fixture-phone-key-0123456789"};
  std::unique_ptr<store::MemberStore> members;
  codes::MemberQrVerifier qr_verifier;  // no HQ keys: every member QR is refused
  std::unique_ptr<lookup::MemberLookup> lookup;

 private:
  std::shared_ptr<std::ostringstream> log_text_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::io_context io_;
  api::Router router_;
  std::unique_ptr<api::MemberApi> member_api_;
  api::EventHub events_;
  std::unique_ptr<api::HttpServer> server_;
  std::thread thread_;
};

}  // namespace pma::test
