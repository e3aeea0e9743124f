// Printer status from ESC/POS real-time replies (DLE EOT n, n = 1..4): a pure parser, no I/O.
// Thread-compatible value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::printer {

// The four real-time status requests (DLE EOT n); each is answered with one byte.
enum class StatusQuery : std::uint8_t {
  printer = 1,        // online/offline, drawer connector, feed button
  offline_cause = 2,  // cover open, paper-end stop, error
  error_cause = 3,    // autocutter, unrecoverable, auto-recoverable errors
  paper_sensor = 4,   // roll paper near end / end
};

// The request bytes for one query: 0x10 0x04 n.
std::string status_request(StatusQuery query);
// All four requests, in order 1..4.
std::string full_status_request();

struct PrinterStatus {
  // False when the transport cannot read (or the printer did not answer): everything below is
  // then unknown, not "fine".
  bool known = false;
  bool online = false;
  bool cover_open = false;
  bool paper_near_end = false;
  bool paper_out = false;
  bool paper_end_stop = false;   // printing stopped because the paper ran out
  bool drawer_pin_high = false;  // drawer kick connector pin 3 (open or closed depends on drawer)
  bool feed_button = false;
  bool error = false;  // any error (n=2 bit 6)
  bool autocutter_error = false;
  bool unrecoverable_error = false;
  bool auto_recoverable_error = false;

  // Known, online, with paper, cover closed and no error: a job can print now.
  bool ready() const;
  // A short reason a job waits ("paper_out", "cover_open", "offline", "error", "unknown"), or
  // "" when ready.
  std::string reason() const;
};

// Applies one reply byte to `status` (and marks it known). Errors: "printer_status_malformed"
// when the byte's fixed bits (0, 1, 4, 7) are not those every DLE EOT reply carries.
Status apply_status_reply(PrinterStatus& status, StatusQuery query, std::uint8_t reply);

// Parses the four replies to full_status_request(). Errors: "printer_status_malformed" (wrong
// length or a malformed byte).
Result<PrinterStatus> parse_full_status(std::string_view replies);

}  // namespace pma::printer
