// A one-line progress bar on a terminal (stderr); silent when stderr is not a terminal, so
// scripts and logs get only the final summary. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pma::ctl {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  // Redraws at most ~10 times a second, and always at 100%. total 0: open-ended (no bar).
  void update(std::uint64_t done, std::uint64_t total, const std::string& unit);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace pma::ctl
