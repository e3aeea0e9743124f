// memberctl pos-token: origin-bound tokens for browser tills, made, listed and revoked by
// memberd through its local API (with the api-token this user can read).
#include <fmt/format.h>

#include <cctype>
#include <iostream>

#include "agent/api/json.h"
#include "agent/ctl/commands.h"
#include "pma/v1/pos_token.pb.h"

namespace pma::ctl {

namespace {

// "https://pos.example.com" as a path segment of DELETE /v1/pos-tokens/{id}.
std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

int cmd_pos_token(const Config& config, const PosTokenAction& action) {
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  if (!action.origin.empty()) {
    v1::CreatePosTokenRequest request;
    request.set_origin(action.origin);
    auto reply = client->request("POST", "/v1/pos-tokens", api::to_json(request));
    if (!reply) return report_error(reply.error());
    v1::PosToken token;
    if (auto ok = decode(*reply, token); !ok) return report_error(ok.error());
    // The token alone on stdout (TOKEN=$(memberctl pos-token --origin ...)); the rest to stderr.
    std::cout << token.token() << "\n";
    std::cerr << fmt::format(
        "memberctl: token {} bound to {}: accepted only on requests with 'Origin: {}'; give it "
        "to the till page once (it is not shown again); revoke with memberctl pos-token "
        "--revoke {}\n",
        token.id(), token.origin(), token.origin(), token.id());
    return 0;
  }
  if (!action.revoke.empty()) {
    auto reply = client->request("DELETE", "/v1/pos-tokens/" + percent_encode(action.revoke));
    if (!reply) return report_error(reply.error());
    v1::RevokePosTokensResponse revoked;
    if (auto ok = decode(*reply, revoked); !ok) return report_error(ok.error());
    std::cout << fmt::format("revoked {} token{}\n", revoked.revoked(),
                             revoked.revoked() == 1 ? "" : "s");
    return 0;
  }
  auto reply = client->request("GET", "/v1/pos-tokens");
  if (!reply) return report_error(reply.error());
  if (action.json) {
    std::cout << reply->body << "\n";
    return reply->status == 200 ? 0 : 1;
  }
  v1::PosTokenList list;
  if (auto ok = decode(*reply, list); !ok) return report_error(ok.error());
  if (list.tokens().empty()) {
    std::cout << "no origin-bound tokens (make one: memberctl pos-token --origin ORIGIN)\n";
    return 0;
  }
  std::cout << fmt::format("{:<12} {:<21} {}\n", "id", "created", "origin");
  for (const auto& token : list.tokens()) {
    std::cout << fmt::format(
        "{:<12} {:<21} {}{}\n", token.id(), token.created_at(), token.origin(),
        token.origin_allowed() ? "" : "  (not in api.allowed_origins: refused)");
  }
  return 0;
}

}  // namespace pma::ctl
