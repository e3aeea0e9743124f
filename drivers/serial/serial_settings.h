// SerialSettings: line settings of a serial port (baud, parity, data/stop bits, flow control).
// A plain value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::serial {

enum class Parity { none, odd, even, mark, space };
enum class FlowControl { none, xon_xoff, rts_cts, dtr_dsr };

// Parses "none" / "odd" / "even" / "mark" / "space"; error "invalid_parity" otherwise.
Result<Parity> parse_parity(std::string_view text);
// Parses "none" / "xonxoff" / "rtscts" / "dtrdsr"; error "invalid_flow_control" otherwise.
Result<FlowControl> parse_flow_control(std::string_view text);
std::string_view to_string(Parity parity);
std::string_view to_string(FlowControl flow_control);

struct SerialSettings {
  int baud = 9600;               // serial.baud: one of the standard rates 50 .. 4000000
  Parity parity = Parity::none;  // serial.parity: none | odd | even | mark | space
  int data_bits = 8;             // serial.data_bits: 5 .. 8
  int stop_bits = 1;             // serial.stop_bits: 1 or 2
  FlowControl flow_control = FlowControl::none;  // serial.flow_control: none|xonxoff|rtscts|dtrdsr

  // Returns "invalid_serial_settings" naming the bad field and value.
  Status validate() const;
};

// True when `baud` is a rate termios can set (B50 .. B4000000).
bool is_standard_baud(int baud);

}  // namespace pma::serial
