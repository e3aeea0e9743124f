// The fuzz targets linked into fuzz_tests. Each tests/fuzz/fuzz_<name>.cpp defines
// LLVMFuzzerTestOneInput; CMake renames it per file to pma_fuzz_<name> so they share a binary.
// Thread-compatible (a target may keep function-local statics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
int pma_fuzz_framer(const std::uint8_t* data, std::size_t size);
int pma_fuzz_evdev(const std::uint8_t* data, std::size_t size);
int pma_fuzz_codes(const std::uint8_t* data, std::size_t size);
int pma_fuzz_printer_status(const std::uint8_t* data, std::size_t size);
int pma_fuzz_wire_frames(const std::uint8_t* data, std::size_t size);
int pma_fuzz_zstd(const std::uint8_t* data, std::size_t size);
int pma_fuzz_delta_columns(const std::uint8_t* data, std::size_t size);
int pma_fuzz_config(const std::uint8_t* data, std::size_t size);
int pma_fuzz_api_json(const std::uint8_t* data, std::size_t size);
int pma_fuzz_member_import(const std::uint8_t* data, std::size_t size);
int pma_fuzz_quote_planner(const std::uint8_t* data, std::size_t size);
int pma_fuzz_refund_planner(const std::uint8_t* data, std::size_t size);
int pma_fuzz_hq_batch(const std::uint8_t* data, std::size_t size);
}

namespace pma::fuzz {

using TargetFunction = int (*)(const std::uint8_t*, std::size_t);

struct Target {
  std::string_view name;
  TargetFunction run;
  std::vector<std::string> (*seeds)();
  std::vector<std::string> dictionary;  // tokens the mutator inserts
  int iterations;                       // mutations per run of fuzz_tests (bounded for CI)
};

const std::vector<Target>& all_targets();
const Target& target(std::string_view name);

// Runs one input: "" if every property held, else what broke (a violation or an exception).
std::string run_input(const Target& target, const std::string& input);

}  // namespace pma::fuzz
