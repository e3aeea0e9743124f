#include "agent/scan/scan_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pma::scan {

ScanService::ScanService(lookup::MemberLookup& members, Publish publish,
                         std::function<std::int64_t()> now_ms,
                         std::shared_ptr<spdlog::logger> logger)
    : members_(members),
      publish_(std::move(publish)),
      now_ms_(std::move(now_ms)),
      log_(std::move(logger)) {}

std::uint64_t ScanService::on_scan(const scanner::ScanEvent& scan) {
  pma::v1::Event event;
  auto* result = event.mutable_scan();
  result->set_device(scan.device);
  result->set_symbology(scan.symbology);

  // Characters the scanner sent without a terminator: dropped by the framer, told to the POS.
  auto code = scan.dropped_partial == 0
                  ? members_.classify(scan.code)
                  : fail("scan_incomplete",
                         fmt::format("Scan incomplete: {} characters without a terminator were "
                                     "dropped; scan again, or check the scanner's terminator",
                                     scan.dropped_partial));
  if (!code) {
    result->set_kind("unrecognised");
    result->set_accepted(false);
    result->set_reason_code(code.error().code);
    result->set_reason(code.error().message);
  } else {
    result->set_kind(std::string(codes::to_string(code->kind)));
    if (code->kind == codes::CodeKind::coupon) {
      // A coupon is applied at checkout; the POS gets the code to add to the basket.
      result->set_accepted(true);
      result->set_coupon_code(code->value);
    } else {
      auto found = members_.resolve(*code, now_ms_() / 1000);
      if (found) {
        result->set_accepted(true);
        *result->mutable_member() = found->member();
        result->set_matched_by(found->matched_by());
      } else {
        result->set_accepted(false);
        result->set_reason_code(found.error().code);
        result->set_reason(found.error().message);
      }
    }
  }
  if (result->accepted()) {
    ++counters_.accepted;
  } else {
    ++counters_.rejected;
  }
  log_->info("scan on {}: {} {}{}", scan.device.empty() ? "api" : scan.device, result->kind(),
             result->accepted() ? "accepted" : "rejected: ",
             result->accepted() ? "" : result->reason_code());
  return publish_(std::move(event));
}

}  // namespace pma::scan
