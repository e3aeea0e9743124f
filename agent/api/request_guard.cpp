#include "agent/api/request_guard.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>
#include <cctype>

#include "agent/api/pos_tokens.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace http = boost::beast::http;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// What a refusal may quote of a header a client chose: bounded, printable.
std::string quoted(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 80)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (value.size() > 80) out += "...";
  return "'" + out + "'";
}

std::string_view field(const http::request_header<>& header, http::field name) {
  auto it = header.find(name);
  if (it == header.end()) return {};
  return {it->value().data(), it->value().size()};
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

RequestGuard::RequestGuard(RequestGuardOptions options) : options_(std::move(options)) {
  hosts_ = {"127.0.0.1", "localhost", "[::1]"};
  std::string listen = lower(options_.listen);
  if (listen.find(':') != std::string::npos) listen = "[" + listen + "]";  // IPv6
  if (std::find(hosts_.begin(), hosts_.end(), listen) == hosts_.end()) hosts_.push_back(listen);
  for (std::string& origin : options_.allowed_origins) origin = lower(origin);
}

Status RequestGuard::admit(const http::request_header<>& header) const {
  // A browser always sends Host; a client without one is not a rebinding page.
  if (header.find(http::field::host) != header.end()) {
    PMA_TRY(check_host(field(header, http::field::host)));
  }
  // Browsers send Origin on cross-origin requests and on every WebSocket handshake; other
  // clients (the POS app, curl, memberctl) send none and stay allowed.
  if (header.find(http::field::origin) != header.end()) {
    PMA_TRY(check_origin(field(header, http::field::origin)));
  }
  return check_token(header);
}

Status RequestGuard::check_host(std::string_view host) const {
  std::string value = lower(host);
  std::string name = value;
  std::string port;
  if (value.starts_with('[')) {  // [::1]:8765
    auto close = value.find(']');
    if (close != std::string::npos) {
      name = value.substr(0, close + 1);
      if (close + 1 < value.size() && value[close + 1] == ':')
        port = value.substr(close + 2);
      else if (close + 1 < value.size())
        name = value;  // junk after ']': never matches
    }
  } else if (auto colon = value.rfind(':'); colon != std::string::npos) {
    name = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  bool known = std::find(hosts_.begin(), hosts_.end(), name) != hosts_.end();
  bool port_ok = port.empty() || port == std::to_string(options_.port);
  if (known && port_ok) return {};
  std::string port_text = std::to_string(options_.port);
  return fail(err::host_not_allowed,
              "Host " + quoted(host) + " is not this agent's address; the local API answers only " +
                  "127.0.0.1:" + port_text + ", localhost:" + port_text + ", [::1]:" + port_text +
                  " or api.listen (" + options_.listen + "), so a web page cannot reach it " +
                  "under a name of its own (DNS rebinding)");
}

Status RequestGuard::check_origin(std::string_view origin) const {
  std::string value = lower(origin);
  if (std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), value) !=
      options_.allowed_origins.end()) {
    return {};
  }
  return fail(err::origin_not_allowed,
              "Origin " + quoted(origin) +
                  " is not in api.allowed_origins; a browser page may use the local API only "
                  "from an origin listed there");
}

Status RequestGuard::check_token(const http::request_header<>& header) const {
  std::string_view target(header.target().data(), header.target().size());
  std::string from_query;
  std::string_view value;
  if (header.find(http::field::authorization) != header.end()) {
    value = field(header, http::field::authorization);
    // RFC 7235: the scheme is case-insensitive ("bearer", "BEARER"), then one or more spaces.
    constexpr std::string_view kBearer = "bearer";
    const bool bearer =
        value.size() > kBearer.size() && value[kBearer.size()] == ' ' &&
        std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                   [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); });
    if (!bearer) {
      return fail(err::missing_token, "the Authorization header must be 'Bearer <token>'");
    }
    value.remove_prefix(kBearer.size());
    while (value.starts_with(' ')) value.remove_prefix(1);
  } else if (path_of(target) == "/v1/events") {
    // Browsers cannot set headers on a WebSocket: the event stream alone takes the token from
    // the query. Elsewhere a token in a URL would end up in histories and proxies' logs.
    auto q = target.find('?');
    if (q != std::string_view::npos) from_query = query_value(target.substr(q + 1), "access_token");
    value = from_query;
  }
  if (value.empty()) {
    return fail(err::missing_token,
                "this API needs 'Authorization: Bearer <token>' (the event stream also takes "
                "?access_token=); the token is in the file named by api.token_file");
  }
  const std::string& token = options_.token;
  if (value.size() != token.size() ||
      CRYPTO_memcmp(value.data(), token.data(), token.size()) != 0) {
    if (options_.pos_tokens != nullptr) {
      return options_.pos_tokens->admit(value, field(header, http::field::origin), path_of(target));
    }
    return fail(err::wrong_token, "the bearer token is not this agent's token");
  }
  return {};
}

std::string redact_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    auto eq = pair.find('=');
    if (lower(pair.substr(0, eq)) == "access_token") {
      out += std::string(pair.substr(0, eq)) + "=***";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string query_value(std::string_view query, std::string_view name) {
  // RFC 3986 query syntax checked and values percent-decoded by Boost.URL; '+' stays a '+' (a
  // space only in HTML form bodies; the status page sends the token via encodeURIComponent).
  // Names are compared as sent, the way redact_target finds access_token: a token under an
  // escaped name is not taken, so none is accepted that the log would show. The split on '&'
  // and '=' is ours: Boost 1.81's params iterator handed out values running past the query's
  // end (seen in the request buffer of a live session), so its views are not used.
  if (!boost::urls::parse_query(boost::urls::string_view(query.data(), query.size()))) return {};
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return {};
      const std::string_view raw = pair.substr(eq + 1);
      auto value =
          boost::urls::make_pct_string_view(boost::urls::string_view(raw.data(), raw.size()));
      return value ? value->decode() : std::string();
    }
    if (pair.size() == query.size()) break;
    query.remove_prefix(pair.size() + 1);
  }
  return {};
}

}  // namespace pma::api
