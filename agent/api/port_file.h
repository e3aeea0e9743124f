// <state>/api-port: the port memberd's local API listens on, written by memberd once it listens
// and read by memberctl, so `memberctl -s DIR` reaches the memberd of DIR whatever port its
// config file gave it. Plain functions; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::api {

std::string port_file_path(std::string_view state_dir);

// Writes the port (decimal digits and a newline) through a temporary file and a rename, so a
// reader never sees half a number. Error "state_dir" naming the file.
Status write_port_file(std::string_view state_dir, std::uint16_t port);

// The port in the file, or nullopt when there is none or it holds no port (an older memberd).
std::optional<std::uint16_t> read_port_file(std::string_view state_dir);

}  // namespace pma::api
