#include "agent/api/port_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace pma::api {

std::string port_file_path(std::string_view state_dir) {
  return fmt::format("{}/api-port", state_dir);
}

Status write_port_file(std::string_view state_dir, std::uint16_t port) {
  const std::string path = port_file_path(state_dir);
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    if (!out.flush()) {
      return fail("state_dir", fmt::format("cannot write {}: {}", temporary, std::strerror(errno)));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return fail("state_dir",
                fmt::format("cannot rename {} to {}: {}", temporary, path, std::strerror(errno)));
  }
  return {};
}

std::optional<std::uint16_t> read_port_file(std::string_view state_dir) {
  std::ifstream in(port_file_path(state_dir));
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0) return std::nullopt;
  return port;
}

}  // namespace pma::api
