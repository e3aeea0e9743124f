#include "drivers/serial/serial_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace pma::serial {

namespace {
constexpr std::array<int, 31> kStandardBauds = {
    50,      75,      110,     134,     150,     200,     300,     600,     1200,   1800,   2400,
    4800,    9600,    19200,   38400,   57600,   115200,  230400,  460800,  500000, 576000, 921600,
    1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000, 0};
}  // namespace

bool is_standard_baud(int baud) {
  return baud > 0 &&
         std::find(kStandardBauds.begin(), kStandardBauds.end(), baud) != kStandardBauds.end();
}

Result<Parity> parse_parity(std::string_view text) {
  if (text == "none") return Parity::none;
  if (text == "odd") return Parity::odd;
  if (text == "even") return Parity::even;
  if (text == "mark") return Parity::mark;
  if (text == "space") return Parity::space;
  return fail("invalid_parity",
              fmt::format("parity '{}' is not one of none, odd, even, mark, space", text));
}

Result<FlowControl> parse_flow_control(std::string_view text) {
  if (text == "none") return FlowControl::none;
  if (text == "xonxoff") return FlowControl::xon_xoff;
  if (text == "rtscts") return FlowControl::rts_cts;
  if (text == "dtrdsr") return FlowControl::dtr_dsr;
  return fail("invalid_flow_control",
              fmt::format("flow_control '{}' is not one of none, xonxoff, rtscts, dtrdsr", text));
}

std::string_view to_string(Parity parity) {
  switch (parity) {
    case Parity::none:
      return "none";
    case Parity::odd:
      return "odd";
    case Parity::even:
      return "even";
    case Parity::mark:
      return "mark";
    case Parity::space:
      return "space";
  }
  return "unknown";
}

std::string_view to_string(FlowControl flow_control) {
  switch (flow_control) {
    case FlowControl::none:
      return "none";
    case FlowControl::xon_xoff:
      return "xonxoff";
    case FlowControl::rts_cts:
      return "rtscts";
    case FlowControl::dtr_dsr:
      return "dtrdsr";
  }
  return "unknown";
}

Status SerialSettings::validate() const {
  if (!is_standard_baud(baud)) {
    return fail("invalid_serial_settings",
                fmt::format("baud {} is not a standard rate (e.g. 9600, 115200)", baud));
  }
  if (data_bits < 5 || data_bits > 8) {
    return fail("invalid_serial_settings", fmt::format("data_bits {} is outside 5..8", data_bits));
  }
  if (stop_bits != 1 && stop_bits != 2) {
    return fail("invalid_serial_settings", fmt::format("stop_bits {} is not 1 or 2", stop_bits));
  }
  return {};
}

}  // namespace pma::serial
