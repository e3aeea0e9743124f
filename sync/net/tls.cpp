#include "sync/net/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <utility>

#include "pma/error.h"
#include "pma/ids.h"

namespace pma::net {

namespace ssl = boost::asio::ssl;

std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL error recorded" : text;
}

namespace {

Result<std::shared_ptr<ssl::context>> make_context(const TlsFiles& files, bool server) {
  auto context =
      std::make_shared<ssl::context>(server ? ssl::context::tls_server : ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  boost::system::error_code ec;
  auto check = [&](const std::string& what, const std::string& file) -> Status {
    if (!ec) return {};
    return fail("tls_config", fmt::format("{} '{}': {}", what, file, ec.message()));
  };
  context->load_verify_file(files.ca_file, ec);
  PMA_TRY(check("cannot load CA certificate", files.ca_file));
  context->use_certificate_chain_file(files.cert_file, ec);
  PMA_TRY(check("cannot load certificate", files.cert_file));
  context->use_private_key_file(files.key_file, ssl::context::pem, ec);
  PMA_TRY(check("cannot load private key", files.key_file));
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail("tls_config", fmt::format("private key '{}' does not match certificate '{}'",
                                          files.key_file, files.cert_file));
  }
  context->set_verify_mode(server ? (ssl::verify_peer | ssl::verify_fail_if_no_peer_cert)
                                  : ssl::verify_peer);
  return context;
}

std::string subject_field(X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

// An id from a certificate as a message may show it: quoted when it is short printable ASCII.
std::string shown(const std::string& id) {
  if (id.empty()) return "(missing)";
  const bool printable = id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f;
                         });
  return printable ? fmt::format("'{}'", id) : fmt::format("({} bytes, not printable)", id.size());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_context(const TlsFiles& files) {
  return make_context(files, true);
}

Result<std::shared_ptr<ssl::context>> make_client_context(const TlsFiles& files) {
  return make_context(files, false);
}

Result<TerminalIdentity> peer_identity(void* ssl_handle) {
  SSL* ssl = static_cast<SSL*>(ssl_handle);
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return fail("tls_no_peer_cert", "the peer presented no certificate");
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    X509_free(cert);
    return fail("tls_identity", "the peer certificate did not verify");
  }
  X509_NAME* subject = X509_get_subject_name(cert);
  TerminalIdentity id{subject_field(subject, NID_organizationalUnitName),
                      subject_field(subject, NID_commonName)};
  X509_free(cert);
  for (const auto& [field, value] :
       {std::pair{"store id (OU)", &id.store_id}, std::pair{"terminal id (CN)", &id.terminal_id}}) {
    if (!is_valid_store_or_terminal_id(*value)) {
      return fail("tls_identity",
                  fmt::format("the client certificate's {} {} is not {}; issue the terminal a "
                              "certificate with a valid id (memberhq ca issue)",
                              field, shown(*value), kStoreOrTerminalIdRule));
    }
  }
  return id;
}

bool is_certificate_refusal(const boost::system::error_code& ec) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:  // what OpenSSL answers a certificate of another CA
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return true;
    default:
      return false;
  }
}

}  // namespace pma::net
