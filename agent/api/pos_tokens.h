// Origin-bound tokens for browser tills: `memberctl pos-token --origin https://pos.example.com`
// asks memberd (with the api-token) for a token that the local API accepts only on requests
// whose Origin header is exactly that origin, which must be in api.allowed_origins. Kept in
// <state>/pos-tokens (mode 0600, rewritten atomically: temp file, fsync, rename, fsync of the
// folder), only as SHA-256 digests; revocable by id or by origin. Such a token may call every
// route the api-token may, except /v1/pos-tokens (a page cannot mint or revoke tokens).
// Lives on the io_context thread (the guard and the routes read and change it there); not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/router.h"
#include "pma/error.h"
#include "pma/v1/pos_token.pb.h"

namespace pma::api {

class PosTokens {
 public:
  static constexpr std::size_t kMaxTokens = 100;

  // `allowed_origins`: api.allowed_origins; a token is made only for one of them and is refused
  // while its origin is not listed. `now` gives Unix seconds.
  PosTokens(std::string path, std::vector<std::string> allowed_origins,
            std::function<std::int64_t()> now);

  // Reads the file (a missing file: no tokens). Errors: "pos_tokens_file" naming the path and
  // the line that cannot be read.
  Status load();

  // Makes and stores a token for `origin`; the answer holds the secret (shown once). Errors:
  // "invalid_origin" (not scheme://host[:port]), "origin_not_allowed" (not in
  // api.allowed_origins), "too_many_pos_tokens" (kMaxTokens exist), "pos_tokens_file" (the file
  // cannot be written: nothing changed).
  Result<v1::PosToken> create(const std::string& origin);
  // Every token, without secrets, oldest first.
  v1::PosTokenList list() const;
  // Revokes the token with this id, or every token of this origin ("https://..."). Errors:
  // "unknown_pos_token" (none matched), "pos_tokens_file".
  Result<int> revoke(const std::string& id_or_origin);

  // For the request guard, when the bearer token is not the api-token: `token` is a stored
  // token, `origin` (the Origin header, empty if absent) is its origin, and `path` is not under
  // /v1/pos-tokens. Errors: "wrong_token" (not a token of this agent),
  // "token_origin_mismatch" (sent without its Origin or with another), "pos_token_forbidden"
  // (token management).
  Status admit(std::string_view token, std::string_view origin, std::string_view path) const;

  // POST /v1/pos-tokens, GET /v1/pos-tokens, DELETE /v1/pos-tokens/{id} (an id or a
  // URL-encoded origin).
  void add_routes(Router& router);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string id;
    std::string origin;
    std::int64_t created = 0;
    std::string digest;  // SHA-256 of the token, 64 hex digits
  };
  Status save(const std::vector<Entry>& entries) const;
  bool origin_listed(std::string_view origin) const;

  std::string path_;
  std::vector<std::string> allowed_;  // lower case
  std::function<std::int64_t()> now_;
  std::vector<Entry> entries_;
};

// SHA-256 of `text` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view text);

}  // namespace pma::api
