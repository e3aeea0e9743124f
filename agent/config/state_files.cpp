#include "agent/config/state_files.h"

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

#include "drivers/files/durable.h"

namespace pma::config {

namespace {

using files::parent_folder;
using files::sync_path;

// What an earlier start may have left: "<name>.tmp.XXXXXX" files that never became the secret
// (killed before the link). They may hold a whole secret: remove them, best effort.
void remove_leftover_temps(const std::string& path) {
  std::error_code ec;
  std::string prefix = std::filesystem::path(path).filename().string() + ".tmp.";
  for (const auto& entry : std::filesystem::directory_iterator(parent_folder(path), ec)) {
    if (entry.path().filename().string().starts_with(prefix)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

// The file holds nothing but whitespace: what a crash between the create and the write of an
// older memberd left (it wrote the secret in place).
bool holds_no_secret(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;  // read_secret says why
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char c = 0;
  while (in.get(c)) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace

Status ensure_state_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return fail("state_dir",
                  fmt::format("cannot create state folder '{}': {}", dir, ec.message()));
    }
  }
  // Also an existing folder: one left 0755 (by hand, an older memberd, a umask) would let every
  // local user read the database.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return fail("state_dir",
                fmt::format("cannot stat state folder '{}': {}", dir, std::strerror(errno)));
  }
  if ((st.st_mode & 0077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return fail("state_dir",
                fmt::format("state folder '{}' has mode {:04o} and cannot be set to 0700: {}", dir,
                            st.st_mode & 07777, std::strerror(errno)));
  }
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

Status write_secret_file(const std::string& path, const std::string& secret, mode_t mode) {
  std::string temp = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600 until the fchmod below
  if (fd < 0) {
    return fail("secret_file", fmt::format("cannot create '{}': {}", temp, std::strerror(errno)));
  }
  std::string line = secret + "\n";
  bool ok = ::fchmod(fd, mode) == 0;  // exactly `mode`, whatever the umask
  ok = ok && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ok && ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return fail("secret_file", fmt::format("cannot write '{}': {}", temp, std::strerror(error)));
  }
  // link(), not rename(): it fails with EEXIST rather than replace a secret another process
  // created meanwhile, and the name appears only with its whole content.
  if (::link(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    ::unlink(temp.c_str());
    if (error == EEXIST) return fail("secret_exists", fmt::format("'{}' exists", path));
    return fail("secret_file", fmt::format("cannot create '{}': {}", path, std::strerror(error)));
  }
  ::unlink(temp.c_str());
  if (!sync_path(parent_folder(path))) {
    return fail("secret_file",
                fmt::format("cannot sync the folder of '{}': {}", path, std::strerror(errno)));
  }
  return {};
}

Result<std::string> read_or_create_secret(const std::string& path, mode_t mode, OnEmpty on_empty) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (!holds_no_secret(path)) {
      remove_leftover_temps(path);  // killed after the link, before removing the temp name
      return read_secret(path);
    }
    if (on_empty == OnEmpty::refuse) {
      return fail("secret_file",
                  fmt::format("'{}' is empty (left by a crash while an older memberd created "
                              "it, or truncated); it is not recreated because data made with "
                              "it would no longer match: put the chain's key back into it "
                              "(from HQ or another till, mode {:04o})",
                              path, mode));
    }
    // Nobody can hold an empty secret: replace it (unlink, then create as if new).
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail("secret_file", fmt::format("'{}' is empty and cannot be replaced: {}", path,
                                             std::strerror(errno)));
    }
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    return fail("secret_file", "the system random generator failed");
  }
  std::string hex;
  for (unsigned char b : raw) hex += fmt::format("{:02x}", b);
  auto written = write_secret_file(path, hex, mode);
  // Another process created it meanwhile (and may have removed our temp file as a leftover).
  if (!written && std::filesystem::exists(path, ec)) return read_secret(path);
  if (!written) return std::unexpected(written.error());
  remove_leftover_temps(path);
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
