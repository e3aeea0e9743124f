// The member endpoints of the local API: GET /v1/health, POST /v1/members/lookup,
// GET /v1/members/{id}: parse, ask the MemberLookup (the scan path's too), answer.
// Runs on the io_context thread; borrows the store and the lookup, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/router.h"
#include "agent/lookup/member_lookup.h"
#include "agent/store/member_store.h"
#include "pma/v1/api.pb.h"

namespace spdlog {
class logger;
}

namespace pma::api {

struct MemberApiContext {
  store::Database& db;
  store::MemberStore& members;
  lookup::MemberLookup& lookup;
  std::string store_id;
  std::string terminal_id;
  std::string version;
  // Unix seconds now (injected so tests control coupon validity).
  std::function<std::int64_t()> now;
  // Attached devices for /v1/health (scanners, printers); may be empty.
  std::function<std::vector<pma::v1::DeviceState>()> devices;
  // The HQ link's state for /v1/health; unset on a till without sync.
  std::function<pma::v1::SyncState()> sync_state;
};

class MemberApi {
 public:
  MemberApi(MemberApiContext context, std::shared_ptr<spdlog::logger> logger);

  void add_routes(Router& router);

  // The lookup behind POST /v1/members/lookup: cardNo is a card number (or member id), phone
  // a phone number, code is classified once as a scan is (MemberLookup::classify_typed).
  Result<pma::v1::LookupResponse> lookup(const pma::v1::LookupRequest& request);

 private:
  ApiResponse health(const ApiRequest& request);
  ApiResponse lookup_route(const ApiRequest& request);
  ApiResponse get_member(const ApiRequest& request);

  MemberApiContext ctx_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace pma::api
