// TLS contexts for mutual authentication between terminals and memberhq, and the terminal
// identity read from a verified client certificate (OU = store id, CN = terminal id).
// Contexts are immutable after creation and may be shared by every session on one thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "pma/error.h"

namespace pma::net {

struct TlsFiles {
  std::string ca_file;    // PEM: the chain CA that signed both sides
  std::string cert_file;  // PEM: this side's certificate
  std::string key_file;   // PEM: this side's private key
};

// Server: requires and verifies a client certificate issued by ca_file.
// Errors: "tls_config" naming the file and OpenSSL's reason.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const TlsFiles& files);
// Client: presents its certificate and verifies the server's against ca_file.
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const TlsFiles& files);

struct TerminalIdentity {
  std::string store_id;
  std::string terminal_id;
};

// The identity in the peer's verified certificate. Errors: "tls_no_peer_cert",
// "tls_identity" (did not verify, or an OU/CN missing or outside pma/ids.h's rule, e.g. with a
// '-' from a certificate issued before the rule; the message names the field and its value).
Result<TerminalIdentity> peer_identity(void* ssl_handle);

// The last OpenSSL error queue entries as text (clears the queue).
std::string openssl_errors();

// Whether a TLS error is the peer (or our own verification) refusing a certificate: an alert
// such as bad_certificate, unknown_ca, certificate_revoked/expired/required, access_denied or
// decrypt_error (a certificate's signature that does not verify),
// or our failed check of the peer's. Not for timeouts, resets or truncation (transient).
// With TLS 1.3 a client learns that HQ refused its certificate only on its first read.
bool is_certificate_refusal(const boost::system::error_code& ec);

}  // namespace pma::net
