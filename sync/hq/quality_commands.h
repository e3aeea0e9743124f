// memberhq's data-quality commands (issue 14): `consent grant|withdraw`, `merge` and
// `report quality`, over the SQLite sink's MemberQuality. main registers them with one
// constructor call and runs them after parsing. Single-threaded (one command per process).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "pma/clock.h"

namespace pma::hq {

class QualityCommands {
 public:
  // Adds the subcommands to app (`report` is shared: added if no other part added it first).
  explicit QualityCommands(CLI::App& app);

  // Runs the parsed one and returns its exit status; nullopt when none of them was parsed.
  // Exit status: 0 done, 1 failed, 2 no such member (or a merge refused).
  std::optional<int> run(const pma::Clock& clock);

 private:
  std::string db_path_ = "memberhq.db";
  std::string member_id_, into_id_;
  CLI::App* grant_ = nullptr;
  CLI::App* withdraw_ = nullptr;
  CLI::App* merge_ = nullptr;
  CLI::App* quality_ = nullptr;
};

}  // namespace pma::hq
