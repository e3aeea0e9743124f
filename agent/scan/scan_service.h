// Turns each accepted scan into a POS event: classifies the code once (MemberLookup, the
// chain's [codes] rules), resolves a member code to the cached member through the same path
// as the lookup API, and publishes the result (or the reason it was rejected) for the event
// stream. Runs on the io_context thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/lookup/member_lookup.h"
#include "drivers/scanner/framer.h"
#include "pma/v1/api.pb.h"

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
  // Hands one event to the stream (memberd: EventHub::publish) and returns its seq.
  using Publish = std::function<std::uint64_t(pma::v1::Event event)>;

  // Borrows the lookup, which must outlive it. now_ms: unix milliseconds (UTC).
  ScanService(lookup::MemberLookup& members, Publish publish, std::function<std::int64_t()> now_ms,
              std::shared_ptr<spdlog::logger> logger);

  // Handles one scan from a scanner (or a code the POS forwarded); returns the event's seq.
  std::uint64_t on_scan(const scanner::ScanEvent& scan);

  const ScanCounters& counters() const { return counters_; }

 private:
  lookup::MemberLookup& members_;
  Publish publish_;
  std::function<std::int64_t()> now_ms_;
  std::shared_ptr<spdlog::logger> log_;
  ScanCounters counters_;
};

}  // namespace pma::scan
