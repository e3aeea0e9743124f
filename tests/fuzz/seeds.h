// The seed corpus of each fuzz target: valid inputs built in code (a real signed member QR,
// real frames and batches, a valid config...), which fuzz_tests replays and then mutates.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace pma::fuzz {

std::vector<std::string> framer_seeds();
std::vector<std::string> evdev_seeds();
std::vector<std::string> codes_seeds();
std::vector<std::string> printer_status_seeds();
std::vector<std::string> wire_frames_seeds();
std::vector<std::string> zstd_seeds();
std::vector<std::string> delta_columns_seeds();
std::vector<std::string> config_seeds();
std::vector<std::string> api_json_seeds();
std::vector<std::string> member_import_seeds();
// planner_seeds.cpp
std::vector<std::string> quote_planner_seeds();
std::vector<std::string> refund_planner_seeds();
std::vector<std::string> hq_batch_seeds();  // seeds_hq.cpp

// A batch of checkouts (and one refund) in seq order, as the outbox would send it.
std::string sample_batch_bytes(bool columnar);

}  // namespace pma::fuzz
