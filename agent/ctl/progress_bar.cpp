#include "agent/ctl/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace pma::ctl {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      enabled_(isatty(STDERR_FILENO) == 1),
      started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::uint64_t done, std::uint64_t total, const std::string& unit) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  if (total == 0) {  // open-ended work: show what has happened so far
    std::fputs(fmt::format("\r{} {}{}\033[K", label_, done, unit).c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  constexpr int kWidth = 30;
  double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  if (fraction > 1.0) fraction = 1.0;
  int filled = static_cast<int>(fraction * kWidth);
  double seconds = std::chrono::duration<double>(now - started_).count();
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '-');
  std::fputs(fmt::format("\r{} [{}] {:3.0f}%  {}/{} {}  {:.1f}s ", label_, bar, fraction * 100,
                         done, total, unit, seconds)
                 .c_str(),
             stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace pma::ctl
