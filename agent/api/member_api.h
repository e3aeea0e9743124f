// The member endpoints of the local API: GET /v1/health, POST /v1/members/lookup,
// GET /v1/members/{id}. Runs on the io_context thread; borrows the store, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/router.h"
#include "pma/v1/api.pb.h"
#include "store/member_store.h"

namespace spdlog {
class logger;
}

namespace pma::api {

struct MemberApiContext {
  store::Database& db;
  store::MemberStore& members;
  std::string store_id;
  std::string terminal_id;
  std::string version;
  // Unix seconds now (injected so tests control coupon validity).
  std::function<std::int64_t()> now;
  // Attached devices for /v1/health (scanners, printers); may be empty.
  std::function<std::vector<pma::v1::DeviceState>()> devices;
  // The HQ link's state for /v1/health; unset on a till without sync.
  std::function<pma::v1::SyncState()> sync_state;
  // Resolves a dynamic member QR to a member id; nullopt when `code` is not a member QR.
  // Unset: no QR support (codes are then phones or card numbers).
  std::function<Result<std::optional<std::string>>(std::string_view code)> resolve_member_qr;
};

class MemberApi {
 public:
  MemberApi(MemberApiContext context, std::shared_ptr<spdlog::logger> logger);

  void add_routes(Router& router);

  // The lookup behind POST /v1/members/lookup, for the scanner path too.
  Result<pma::v1::LookupResponse> lookup(const pma::v1::LookupRequest& request);

 private:
  ApiResponse health(const ApiRequest& request);
  ApiResponse lookup_route(const ApiRequest& request);
  ApiResponse get_member(const ApiRequest& request);

  MemberApiContext ctx_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::steady_clock::time_point started_;
};

// The one place a cached member becomes the API's message.
pma::v1::Member to_proto(const store::MemberRecord& member);

}  // namespace pma::api
