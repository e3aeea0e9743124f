#include "config/state_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pma::config {

Status ensure_state_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail("state_dir", fmt::format("cannot create state folder '{}': {}", dir, ec.message()));
  }
  ::chmod(dir.c_str(), 0700);
  return {};
}

Result<std::string> read_secret(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return fail("secret_file", fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  if (secret.size() < 16) {
    return fail("secret_file", fmt::format("'{}' holds {} characters; a secret needs at least 16",
                                           path, secret.size()));
  }
  return secret;
}

Result<std::string> read_or_create_secret(const std::string& path, mode_t mode) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return read_secret(path);
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    return fail("secret_file", "the system random generator failed");
  }
  std::string hex;
  for (unsigned char b : raw) hex += fmt::format("{:02x}", b);
  // O_EXCL: never overwrite a secret another process created meanwhile.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return read_secret(path);
    return fail("secret_file", fmt::format("cannot create '{}': {}", path, std::strerror(errno)));
  }
  ::fchmod(fd, mode);  // not narrowed by the umask
  std::string line = hex + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fail("secret_file", fmt::format("cannot write '{}'", path));
  return hex;
}

Result<Config> load_effective_config(const std::string& config_path, const std::string& state_dir,
                                     std::string* used) {
  constexpr const char* kSystemConfig = "/etc/memberd/memberd.toml";
  Config config;
  std::string path = config_path;
  std::error_code ec;
  if (path.empty() && std::filesystem::exists(kSystemConfig, ec)) path = kSystemConfig;
  if (!path.empty()) {
    auto loaded = load_config(path);
    if (!loaded) return loaded;
    config = std::move(*loaded);
  }
  if (used) *used = path;
  if (!state_dir.empty()) config.state.dir = state_dir;
  config.resolve_paths();
  return config;
}

}  // namespace pma::config
