#include "sync/hq/ca.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "pma/error.h"
#include "pma/ids.h"
#include "sync/net/tls.h"

namespace pma::hq {

namespace {

namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

std::unexpected<Error> openssl_fail(std::string_view what) {
  return fail("ca_openssl", fmt::format("{}: {}", what, net::openssl_errors()));
}

Result<Key> new_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return openssl_fail("generating an EC P-256 key");
  return key;
}

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return openssl_fail(fmt::format("building extension {}", value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return {};
}

struct Subject {
  std::string organization;
  std::string unit;
  std::string common_name;
};

// A certificate for key, signed by issuer_key (self-signed when issuer is null).
Result<Cert> make_cert(EVP_PKEY* key, const Subject& subject, X509* issuer, EVP_PKEY* issuer_key,
                       int valid_days, const std::vector<std::pair<int, std::string>>& exts) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& value) {
    if (!value.empty()) {
      X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
    }
  };
  add("O", subject.organization);
  add("OU", subject.unit);
  add("CN", subject.common_name);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  for (const auto& [nid, value] : exts) {
    PMA_TRY(add_ext(cert.get(), issuer ? issuer : cert.get(), nid, value));
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return openssl_fail("signing a certificate");
  }
  return cert;
}

Status write_key(const std::string& path, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "wx");
  if (file == nullptr) return fail("ca_io", fmt::format("cannot create '{}'", path));
  ::chmod(path.c_str(), 0600);
  bool ok = PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = std::fclose(file) == 0 && ok;
  if (!ok) return fail("ca_io", fmt::format("cannot write key '{}'", path));
  return {};
}

Status write_cert(const std::string& path, X509* cert) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return fail("ca_io", fmt::format("cannot create '{}'", path));
  bool ok = PEM_write_X509(file, cert) == 1;
  ok = std::fclose(file) == 0 && ok;
  if (!ok) return fail("ca_io", fmt::format("cannot write certificate '{}'", path));
  return {};
}

bool looks_like_ip(const std::string& name) {
  return !name.empty() && name.find_first_not_of("0123456789.:") == std::string::npos;
}

}  // namespace

Status init_ca(const std::string& dir, const CaInitOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("ca_io", fmt::format("cannot create '{}': {}", dir, ec.message()));
  if (fs::exists(fs::path(dir) / "ca.key")) {
    return fail("ca_exists", fmt::format("'{}' already holds a CA; refusing to overwrite", dir));
  }
  PMA_TRY_ASSIGN(auto ca_key, new_key());
  PMA_TRY_ASSIGN(auto ca,
                 make_cert(ca_key.get(), {options.chain_name, "", options.chain_name + " CA"},
                           nullptr, nullptr, options.valid_days,
                           {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}}));
  PMA_TRY_ASSIGN(auto server_key, new_key());
  std::string san;
  for (const auto& name : options.server_names) {
    if (!san.empty()) san += ",";
    san += (looks_like_ip(name) ? "IP:" : "DNS:") + name;
  }
  std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"},
                                                   {NID_ext_key_usage, "serverAuth"}};
  if (!san.empty()) exts.emplace_back(NID_subject_alt_name, san);
  PMA_TRY_ASSIGN(auto server, make_cert(server_key.get(), {options.chain_name, "hq", "memberhq"},
                                        ca.get(), ca_key.get(), options.valid_days, exts));
  fs::path base(dir);
  if (auto ok = write_key((base / "ca.key").string(), ca_key.get()); !ok) return ok;
  if (auto ok = write_cert((base / "ca.crt").string(), ca.get()); !ok) return ok;
  if (auto ok = write_key((base / "server.key").string(), server_key.get()); !ok) return ok;
  return write_cert((base / "server.crt").string(), server.get());
}

Result<IssuedCert> issue_terminal_cert(const std::string& dir, const std::string& store_id,
                                       const std::string& terminal_id, const std::string& out_dir,
                                       int valid_days) {
  for (const auto& [what, id] :
       {std::pair{"store", &store_id}, std::pair{"terminal", &terminal_id}}) {
    if (!is_valid_store_or_terminal_id(*id)) {
      return fail("ca_invalid_id",
                  fmt::format("{} id '{}' is not {} (no '-': the ids a till mints join store and "
                              "terminal with '-')",
                              what, *id, kStoreOrTerminalIdRule));
    }
  }
  fs::path base(dir);
  FILE* key_file = std::fopen((base / "ca.key").c_str(), "r");
  FILE* cert_file = std::fopen((base / "ca.crt").c_str(), "r");
  if (key_file == nullptr || cert_file == nullptr) {
    if (key_file) std::fclose(key_file);
    if (cert_file) std::fclose(cert_file);
    return fail("ca_missing", fmt::format("no CA in '{}'; run `memberhq ca init` first", dir));
  }
  Key ca_key(PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr));
  Cert ca(PEM_read_X509(cert_file, nullptr, nullptr, nullptr));
  std::fclose(key_file);
  std::fclose(cert_file);
  if (!ca_key || !ca) return openssl_fail(fmt::format("reading the CA in '{}'", dir));
  X509_NAME* ca_name = X509_get_subject_name(ca.get());
  char organization[256] = "";
  X509_NAME_get_text_by_NID(ca_name, NID_organizationName, organization, sizeof organization);
  PMA_TRY_ASSIGN(auto key, new_key());
  PMA_TRY_ASSIGN(auto cert, make_cert(key.get(), {organization, store_id, terminal_id}, ca.get(),
                                      ca_key.get(), valid_days,
                                      {{NID_basic_constraints, "critical,CA:FALSE"},
                                       {NID_key_usage, "critical,digitalSignature"},
                                       {NID_ext_key_usage, "clientAuth"}}));
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  fs::path out(out_dir);
  IssuedCert issued{(out / (store_id + "-" + terminal_id + ".crt")).string(),
                    (out / (store_id + "-" + terminal_id + ".key")).string()};
  PMA_TRY(write_key(issued.key_file, key.get()));
  PMA_TRY(write_cert(issued.cert_file, cert.get()));
  return issued;
}

}  // namespace pma::hq
