// Issue 11 item 8: store and terminal ids are unambiguous. A till mints ids under
// "P-<store>-<terminal>-" and HQ checks them by that prefix; with '-' allowed in the ids, store
// S1's terminal T1 and store S1-T1's terminal X would share a prefix. The rule (pma/ids.h) holds
// where ids enter: `memberhq ca issue` and HQ's admission of a certificate (the till's config is
// tested in tests/config). Real memberhq on loopback, certificates from the test CA.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>

#include "pma/ids.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileClose>;

// A client certificate for any OU/CN signed by the chain CA in ca_dir, the way a memberhq from
// before the rule issued one (`memberhq ca issue` itself now refuses such ids).
pma::hq::IssuedCert forge_terminal_cert(const std::string& ca_dir, const std::string& store,
                                        const std::string& terminal, const std::string& out) {
  File key_in(std::fopen((ca_dir + "/ca.key").c_str(), "r"));
  File cert_in(std::fopen((ca_dir + "/ca.crt").c_str(), "r"));
  REQUIRE(key_in);
  REQUIRE(cert_in);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ca_key(
      PEM_read_PrivateKey(key_in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> ca(
      PEM_read_X509(cert_in.get(), nullptr, nullptr, nullptr), X509_free);
  REQUIRE(ca_key);
  REQUIRE(ca);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  REQUIRE(key);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : {std::pair{"OU", &store}, std::pair{"CN", &terminal}}) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value->c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                                   std::pair{NID_key_usage, "critical,digitalSignature"},
                                   std::pair{NID_ext_key_usage, "clientAuth"}}) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext != nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) != 0);
  pma::hq::IssuedCert issued{out + ".crt", out + ".key"};
  File key_out(std::fopen(issued.key_file.c_str(), "w"));
  File cert_out(std::fopen(issued.cert_file.c_str(), "w"));
  REQUIRE(key_out);
  REQUIRE(cert_out);
  REQUIRE(PEM_write_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
          1);
  REQUIRE(PEM_write_X509(cert_out.get(), cert.get()) == 1);
  return issued;
}

}  // namespace

TEST_CASE("Store and terminal ids are 1-32 letters, digits or underscores", "[sync][ids]") {
  for (const char* id : {"S1", "T01", "store_42", "A", "abcdefghijklmnopqrstuvwxyz012345"}) {
    INFO(id);
    CHECK(pma::is_valid_store_or_terminal_id(id));
  }
  for (const char* id : {"", "S1-T1", "T.1", "has space", "S\xc3\xa9", "P-S1",
                         "abcdefghijklmnopqrstuvwxyz0123456"}) {
    INFO(id);
    CHECK_FALSE(pma::is_valid_store_or_terminal_id(id));
  }
}

TEST_CASE("memberhq ca issue refuses a store or terminal id that would make minted ids ambiguous",
          "[sync][ids]") {
  SyncWorld world;
  auto out = world.dir.file("issued");
  auto dashed_store = pma::hq::issue_terminal_cert(world.ca_dir, "S1-T1", "X", out);
  REQUIRE_FALSE(dashed_store);
  CHECK(dashed_store.error().code == "ca_invalid_id");
  CHECK_THAT(dashed_store.error().message, Catch::Contains("store id 'S1-T1'"));
  auto dotted_terminal = pma::hq::issue_terminal_cert(world.ca_dir, "S1", "T.1", out);
  REQUIRE_FALSE(dotted_terminal);
  CHECK_THAT(dotted_terminal.error().message, Catch::Contains("terminal id 'T.1'"));
  auto too_long = pma::hq::issue_terminal_cert(world.ca_dir, "S1", std::string(33, 'T'), out);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == "ca_invalid_id");
  CHECK(pma::hq::issue_terminal_cert(world.ca_dir, "S_1", "T01", out));
}

TEST_CASE("HQ refuses a chain certificate whose store or terminal id breaks the rule, naming it",
          "[sync][ids]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& good = world.add_till("S1", "T1");
  // Store "S1-T1", terminal "X": its ids "P-S1-T1-X-<n>" would lie under S1/T1's prefix.
  auto [store, terminal, field] = GENERATE(table<std::string, std::string, std::string>({
      {"S1-T1", "X", "store id (OU) 'S1-T1'"},
      {"S1", "T1-X", "terminal id (CN) 'T1-X'"},
  }));
  auto forged = forge_terminal_cert(world.ca_dir, store, terminal, world.dir.file("forged"));
  Till& bad = world.add_till("S9", "T1");  // its database; the session presents the forged cert
  auto config = world.client_config(bad);
  config.tls.cert_file = forged.cert_file;
  config.tls.key_file = forged.key_file;
  bad.client =
      std::make_unique<pma::sync::SyncClient>(world.io, *bad.sync_store, config, world.till_clock);
  world.checkout(bad, "M1", 5);
  const auto refused_before = world.server->stats().refused_tls;

  auto result = world.sync(bad);
  REQUIRE_FALSE(result);
  INFO(result.error().message);
  CHECK(result.error().code == "tls_identity");
  CHECK_THAT(result.error().message, Catch::Contains(field) && Catch::Contains("not 1-32"));
  CHECK(world.server->stats().refused_tls == refused_before + 1);
  CHECK(*world.sink->applied_count({store, terminal}) == 0);
  CHECK(world.hq_balance("M1") == 0);
  CHECK(world.count(bad, "SELECT COUNT(*) FROM outbox") == 1);  // nothing pruned

  // The other stores are served meanwhile.
  world.checkout(good, "M1", 1);
  REQUIRE(world.sync(good));
  CHECK(world.hq_balance("M1") == 1);
}
