#include "agent/api/pos_tokens.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/api/json.h"
#include "agent/config/config.h"
#include "drivers/files/durable.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace {

constexpr std::string_view kManagement = "/v1/pos-tokens";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<std::string> random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return fail(err::internal, "the system random generator failed");
  }
  std::string hex;
  for (unsigned char b : raw) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string rfc3339(std::int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

// "%3A" and friends (a DELETE naming an origin); malformed escapes are kept as they are.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool path_is_management(std::string_view path) {
  return path == kManagement || path.starts_with(std::string(kManagement) + "/");
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

PosTokens::PosTokens(std::string path, std::vector<std::string> allowed_origins,
                     std::function<std::int64_t()> now)
    : path_(std::move(path)), now_(std::move(now)) {
  for (const auto& origin : allowed_origins) allowed_.push_back(lower(origin));
}

bool PosTokens::origin_listed(std::string_view origin) const {
  return std::find(allowed_.begin(), allowed_.end(), lower(origin)) != allowed_.end();
}

Status PosTokens::load() {
  entries_.clear();
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) && !ec) return {};
  std::ifstream in(path_);
  if (!in) {
    return fail(err::pos_tokens_file,
                fmt::format("cannot read '{}': {}", path_, std::strerror(errno)));
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.starts_with('#')) continue;
    std::istringstream fields(line);
    Entry entry;
    if (!(fields >> entry.id >> entry.origin >> entry.created >> entry.digest) ||
        entry.digest.size() != 64 || !entry.id.starts_with("pt-")) {
      return fail(err::pos_tokens_file,
                  fmt::format("'{}' line {}: expected '<id> <origin> <created unix seconds> "
                              "<sha-256 hex>'; fix or delete the line (memberctl pos-token "
                              "--list shows the rest)",
                              path_, number));
    }
    entries_.push_back(std::move(entry));
  }
  return {};
}

Status PosTokens::save(const std::vector<Entry>& entries) const {
  std::string text =
      "# memberd's origin-bound tokens (memberctl pos-token): id origin created "
      "sha256(token)\n";
  for (const Entry& e : entries) {
    text += fmt::format("{} {} {} {}\n", e.id, e.origin, e.created, e.digest);
  }
  std::string temp = path_ + ".tmp.XXXXXX";
  int fd = ::mkstemp(temp.data());
  auto failed = [&](std::string_view step) {
    Error error{std::string(err::pos_tokens_file),
                fmt::format("cannot {} '{}': {}", step, path_, std::strerror(errno))};
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    return std::unexpected(error);
  };
  if (fd < 0) return failed("create a temporary file next to");
  if (::fchmod(fd, 0600) != 0) return failed("set mode 0600 on the new");
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failed("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return failed("fsync");
  ::close(fd);
  fd = -1;
  if (::rename(temp.c_str(), path_.c_str()) != 0) return failed("replace");
  if (!files::sync_path(files::parent_folder(path_))) {
    return fail(err::pos_tokens_file,
                fmt::format("cannot fsync the folder of '{}': {}", path_, std::strerror(errno)));
  }
  return {};
}

Result<v1::PosToken> PosTokens::create(const std::string& origin) {
  if (auto ok = config::validate_origin(origin); !ok) {
    return fail(err::invalid_origin, ok.error().message);
  }
  if (!origin_listed(origin)) {
    return fail(err::origin_not_allowed,
                fmt::format("'{}' is not in api.allowed_origins; add it there (and restart "
                            "memberd) before making a token for it",
                            origin));
  }
  if (entries_.size() >= kMaxTokens) {
    return fail(err::too_many_pos_tokens,
                fmt::format("{} origin-bound tokens exist, the most memberd keeps; revoke unused "
                            "ones (memberctl pos-token --list, --revoke ID)",
                            kMaxTokens));
  }
  PMA_TRY_ASSIGN(auto secret, random_hex(32));
  PMA_TRY_ASSIGN(auto id, random_hex(4));
  Entry entry{"pt-" + id, lower(origin), now_(), sha256_hex(secret)};
  auto next = entries_;
  next.push_back(entry);
  PMA_TRY(save(next));
  entries_ = std::move(next);
  v1::PosToken token;
  token.set_id(entry.id);
  token.set_origin(entry.origin);
  token.set_created_at(rfc3339(entry.created));
  token.set_token(secret);
  token.set_origin_allowed(true);
  return token;
}

v1::PosTokenList PosTokens::list() const {
  v1::PosTokenList out;
  for (const Entry& e : entries_) {
    auto* token = out.add_tokens();
    token->set_id(e.id);
    token->set_origin(e.origin);
    token->set_created_at(rfc3339(e.created));
    token->set_origin_allowed(origin_listed(e.origin));
  }
  return out;
}

Result<int> PosTokens::revoke(const std::string& id_or_origin) {
  bool by_origin = id_or_origin.find("://") != std::string::npos;
  std::string key = by_origin ? lower(id_or_origin) : id_or_origin;
  std::vector<Entry> next;
  for (const Entry& e : entries_) {
    if ((by_origin ? e.origin : e.id) != key) next.push_back(e);
  }
  int revoked = static_cast<int>(entries_.size() - next.size());
  if (revoked == 0) {
    return fail(err::unknown_pos_token,
                fmt::format("no origin-bound token {} '{}' (memberctl pos-token --list shows "
                            "them)",
                            by_origin ? "for origin" : "with id", id_or_origin));
  }
  PMA_TRY(save(next));
  entries_ = std::move(next);
  return revoked;
}

Status PosTokens::admit(std::string_view token, std::string_view origin,
                        std::string_view path) const {
  std::string digest = sha256_hex(token);
  const Entry* found = nullptr;
  for (const Entry& e : entries_) {
    if (CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0) found = &e;
  }
  if (found == nullptr) {
    return fail(err::wrong_token,
                "the bearer token is neither this agent's api-token nor an origin-bound token "
                "it knows (revoked?)");
  }
  if (lower(origin) != found->origin) {
    return fail(err::token_origin_mismatch,
                fmt::format("this token is bound to the origin {} and is accepted only on "
                            "requests whose Origin header is exactly that",
                            found->origin));
  }
  if (path_is_management(path)) {
    return fail(err::pos_token_forbidden,
                "an origin-bound token cannot list, create or revoke tokens; use the api-token "
                "(memberctl pos-token)");
  }
  return {};
}

void PosTokens::add_routes(Router& router) {
  router.add("POST", std::string(kManagement), [this](const ApiRequest& r) {
    v1::CreatePosTokenRequest request;
    if (auto ok = parse_json(r.body, request); !ok) return error_response(ok.error());
    if (request.origin().empty()) {
      return error_response(err::invalid_request, "field origin: required");
    }
    auto made = create(request.origin());
    if (!made) return error_response(made.error());
    return json_response(200, *made);
  });
  router.add("GET", std::string(kManagement),
             [this](const ApiRequest&) { return json_response(200, list()); });
  router.add("DELETE", std::string(kManagement) + "/{id}", [this](const ApiRequest& r) {
    auto revoked = revoke(percent_decode(r.params.at("id")));
    if (!revoked) return error_response(revoked.error());
    v1::RevokePosTokensResponse response;
    response.set_revoked(*revoked);
    return json_response(200, response);
  });
}

}  // namespace pma::api
