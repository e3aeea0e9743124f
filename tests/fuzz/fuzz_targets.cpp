#include "tests/fuzz/fuzz_targets.h"

#include <google/protobuf/stubs/logging.h>

#include <exception>
#include <stdexcept>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/seeds.h"

namespace pma::fuzz {

const std::vector<Target>& all_targets() {
  // Iteration budgets: the whole binary stays well under 20 s on a loaded 2-core machine.
  static const std::vector<Target> targets = {
      {"framer",
       pma_fuzz_framer,
       framer_seeds,
       {"\r", "\n", "\r\n", "\t", "]Q1", "\x7f", "\xc3"},
       15000},
      {"evdev", pma_fuzz_evdev, evdev_seeds, {}, 15000},
      {"codes", pma_fuzz_codes, codes_seeds, {"PMA1:", "CPN-", "+86", "0086", " ", "::"}, 8000},
      {"printer_status", pma_fuzz_printer_status, printer_status_seeds, {}, 15000},
      {"wire_frames",
       pma_fuzz_wire_frames,
       wire_frames_seeds,
       {std::string("\0\0\0\0\x07", 5), std::string("\x28\xb5\x2f\xfd", 4)},
       8000},
      {"zstd", pma_fuzz_zstd, zstd_seeds, {std::string("\x28\xb5\x2f\xfd", 4)}, 8000},
      {"delta_columns", pma_fuzz_delta_columns, delta_columns_seeds, {}, 15000},
      {"config",
       pma_fuzz_config,
       config_seeds,
       {"[store]\n", "[[scanner]]\n", "[[printer]]\n", " = ", "\"", "'''", "[codes.hq_keys]\n",
        "1979-05-27T07:32:00Z", "inf", "0x7fffffffffffffff", "{ a = 1 }"},
       8000},
      {"api_json",
       pma_fuzz_api_json,
       api_json_seeds,
       {"\"", "{", "}", "[", "]", ":", ",", "null", "\\u0000", "1e999", "\"9223372036854775808\""},
       8000},
      {"member_import",
       pma_fuzz_member_import,
       member_import_seeds,
       {"\n", ",", "\"", "\r\n", "13812345678", "{\"member_id\":\"", "\xff"},
       8000},
      {"quote_planner",
       pma_fuzz_quote_planner,
       quote_planner_seeds,
       {"\"9223372036854775807\"", "\"-9223372036854775808\"", "1000000", "1000000000",
        "\"qty\":", "\"unitPriceFen\":", "\"pointsToBurn\":", "\"discountable\":true",
        "{\"sku\":\"a\",\"qty\":1,\"unitPriceFen\":100},", "\"W-", "\"M-", "-1", "0"},
       8000},
      {"refund_planner",
       pma_fuzz_refund_planner,
       refund_planner_seeds,
       {"\n", "\n{}", "{\"lineIndex\":0,\"qty\":1},", "\"9223372036854775807\"",
        "\"-9223372036854775808\"", "\"lineIndex\":", "\"qty\":", "2147483647", "-1", "0"},
       8000},
      {"hq_batch",
       pma_fuzz_hq_batch,
       hq_batch_seeds,
       {"M0000042", "CPN-AB12CD", "P-S1-T1-", "W-S1-T1-",
        std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9)},
       400},
  };
  return targets;
}

const Target& target(std::string_view name) {
  for (const auto& t : all_targets()) {
    if (t.name == name) return t;
  }
  throw std::invalid_argument("no fuzz target named " + std::string(name));
}

std::string run_input(const Target& target, const std::string& input) {
  // Protobuf logs every string field it refuses as invalid UTF-8; mutations make thousands.
  google::protobuf::LogSilencer quiet;
  try {
    target.run(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    return {};
  } catch (const PropertyViolation& v) {
    return v.what;
  } catch (const std::exception& e) {
    return std::string("threw ") + e.what();
  } catch (...) {
    return "threw a non-standard exception";
  }
}

}  // namespace pma::fuzz
