#include "drivers/printer/status.h"

#include <fmt/format.h>

namespace pma::printer {

std::string status_request(StatusQuery query) {
  return std::string{0x10, 0x04, static_cast<char>(query)};
}

std::string full_status_request() {
  std::string out;
  for (int n = 1; n <= 4; ++n) out += status_request(static_cast<StatusQuery>(n));
  return out;
}

bool PrinterStatus::ready() const {
  // An autocutter error alone (without the error bit some printers set with it) still means
  // the receipt cannot be cut off: wait, as reason() says.
  return known && online && !cover_open && !paper_out && !paper_end_stop && !error &&
         !unrecoverable_error && !autocutter_error;
}

std::string PrinterStatus::reason() const {
  if (!known) return "unknown";
  if (paper_out || paper_end_stop) return "paper_out";
  if (cover_open) return "cover_open";
  if (error || unrecoverable_error || autocutter_error) return "error";
  if (!online) return "offline";
  return "";
}

Status apply_status_reply(PrinterStatus& status, StatusQuery query, std::uint8_t reply) {
  // Every reply has bit 1 and bit 4 set and bits 0 and 7 clear.
  if ((reply & 0x93) != 0x12) {
    return fail("printer_status_malformed",
                fmt::format("DLE EOT {} reply 0x{:02X} lacks the fixed bits 0x12",
                            static_cast<int>(query), reply));
  }
  auto bit = [reply](int n) { return (reply >> n) & 1; };
  switch (query) {
    case StatusQuery::printer:
      status.drawer_pin_high = bit(2);
      status.online = !bit(3);
      status.feed_button = bit(6);
      break;
    case StatusQuery::offline_cause:
      status.cover_open = bit(2);
      status.paper_end_stop = bit(5);
      status.error = bit(6);
      break;
    case StatusQuery::error_cause:
      status.autocutter_error = bit(3);
      status.unrecoverable_error = bit(5);
      status.auto_recoverable_error = bit(6);
      break;
    case StatusQuery::paper_sensor:
      status.paper_near_end = bit(2) && bit(3);
      status.paper_out = bit(5) && bit(6);
      break;
    default:
      return fail("printer_status_malformed",
                  fmt::format("DLE EOT {} is not a status query", static_cast<int>(query)));
  }
  status.known = true;
  return {};
}

Result<PrinterStatus> parse_full_status(std::string_view replies) {
  if (replies.size() != 4) {
    return fail("printer_status_malformed",
                fmt::format("expected 4 status bytes, got {}", replies.size()));
  }
  PrinterStatus status;
  for (int n = 1; n <= 4; ++n) {
    PMA_TRY(apply_status_reply(status, static_cast<StatusQuery>(n),
                               static_cast<std::uint8_t>(replies[n - 1])));
  }
  return status;
}

}  // namespace pma::printer
