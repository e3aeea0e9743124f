// memberhq's member programme commands (coupon issue/revoke/list/counts, tag add/remove,
// segments run, report segments): registered on the CLI app with one call, run after parsing.
// Single-threaded (memberhq's main).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "pma/clock.h"
#include "sync/hq/programme.h"

namespace pma::hq {

// The parsed options of the programme commands; owned by main for the app's lifetime.
struct ProgrammeCommands;

// Adds the commands to app; each takes --db bound to db_path.
std::shared_ptr<ProgrammeCommands> add_programme_commands(CLI::App& app, std::string& db_path);

// Whether one of them was parsed (then main opens the sink and calls run).
bool programme_command_parsed(const ProgrammeCommands& commands);

// Runs the parsed command; returns memberhq's exit code (0 ok, 1 error, 2 not found).
int run_programme_command(const ProgrammeCommands& commands, Programme& programme,
                          const pma::Clock& clock);

}  // namespace pma::hq
