// Turns each accepted scan into a POS event: classifies the code, resolves the member from the
// cache (card, phone or dynamic member QR), and publishes the result (or the reason it was
// rejected) on the event stream. Runs on the io_context thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/event_hub.h"
#include "api/member_api.h"
#include "codes/classify.h"
#include "scanner/framer.h"

namespace spdlog {
class logger;
}

namespace pma::scan {

struct ScanCounters {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
};

class ScanService {
 public:
  // Borrows the member API and hub, which must outlive it. now_ms: unix milliseconds (UTC).
  ScanService(api::MemberApi& members, api::EventHub& hub, codes::CodeRules rules,
              std::function<std::int64_t()> now_ms, std::shared_ptr<spdlog::logger> logger);

  // Handles one scan from a scanner (or a code the POS forwarded); returns the event's seq.
  std::uint64_t on_scan(const scanner::ScanEvent& scan);

  const ScanCounters& counters() const { return counters_; }

 private:
  api::MemberApi& members_;
  api::EventHub& hub_;
  codes::CodeRules rules_;
  std::function<std::int64_t()> now_ms_;
  std::shared_ptr<spdlog::logger> log_;
  ScanCounters counters_;
};

}  // namespace pma::scan
