#include "drivers/codes/crypto.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

using pma::codes::Ed25519PrivateKey;
using pma::codes::Ed25519PublicKey;

namespace {

Ed25519PrivateKey new_key() {
  auto key = Ed25519PrivateKey::generate();
  REQUIRE(key);
  return *key;
}

}  // namespace

TEST_CASE("Ed25519 signatures verify only for the same key and message", "[codes][crypto]") {
  const auto key = new_key();
  const auto other = new_key();
  auto sig = key.sign("hello");
  REQUIRE(sig);
  CHECK(sig->size() == 64);
  CHECK(key.public_key().verify("hello", *sig));
  CHECK_FALSE(key.public_key().verify("hellO", *sig));
  CHECK_FALSE(other.public_key().verify("hello", *sig));
  std::string flipped = *sig;
  flipped[10] ^= 0x01;
  CHECK_FALSE(key.public_key().verify("hello", flipped));
  CHECK_FALSE(key.public_key().verify("hello", sig->substr(0, 63)));
  CHECK_FALSE(key.public_key().verify("hello", ""));
}

TEST_CASE("Ed25519 keys round-trip through PEM files and raw bytes", "[codes][crypto]") {
  pma::test::TempDir dir;
  const auto key = new_key();
  REQUIRE(key.write_pem_file(dir.file("hq.pem")));
  REQUIRE(key.public_key().write_pem_file(dir.file("hq.pub.pem")));

  struct stat st {};
  REQUIRE(::stat(dir.file("hq.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto loaded = Ed25519PrivateKey::load_pem_file(dir.file("hq.pem"));
  REQUIRE(loaded);
  CHECK(loaded->public_key().raw() == key.public_key().raw());
  auto pub = Ed25519PublicKey::load_pem_file(dir.file("hq.pub.pem"));
  REQUIRE(pub);
  CHECK(pub->raw() == key.public_key().raw());

  // A signature from the reloaded private key verifies with the raw-loaded public key.
  auto raw = Ed25519PublicKey::from_raw(key.public_key().raw_bytes());
  REQUIRE(raw);
  auto sig = loaded->sign("message");
  REQUIRE(sig);
  CHECK(raw->verify("message", *sig));

  SECTION("existing files are never overwritten") {
    auto again = new_key().write_pem_file(dir.file("hq.pem"));
    REQUIRE_FALSE(again);
    CHECK(again.error().code == "key_file_error");
    auto still = Ed25519PrivateKey::load_pem_file(dir.file("hq.pem"));
    REQUIRE(still);
    CHECK(still->public_key().raw() == key.public_key().raw());
  }
}

TEST_CASE("Loading a bad key names what is wrong", "[codes][crypto]") {
  pma::test::TempDir dir;
  SECTION("a raw key of the wrong size") {
    auto r = Ed25519PublicKey::from_raw(std::string(31, 'x'));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "key_invalid");
    CHECK(r.error().message.find("got 31") != std::string::npos);
  }
  SECTION("a missing file") {
    auto r = Ed25519PublicKey::load_pem_file(dir.file("absent.pem"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "key_file_error");
    CHECK(r.error().message.find("absent.pem") != std::string::npos);
  }
  SECTION("a file that is not PEM") {
    std::ofstream(dir.file("junk.pem")) << "not a key\n";
    auto r = Ed25519PrivateKey::load_pem_file(dir.file("junk.pem"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "key_invalid");
    CHECK(r.error().message.find("junk.pem") != std::string::npos);
  }
  SECTION("a PEM key of another algorithm") {
    // A P-256 public key: valid PEM, wrong curve.
    const char* ec_pem =
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsDh8jOC9wTSXqPchLWNFHeSNoOb6\n"
        "hZcF54Bni44HEWx5t2DAaPDmXw4f6XwRQn7lYK440rWmrvFwkzbLdjK0PA==\n"
        "-----END PUBLIC KEY-----\n";
    auto r = Ed25519PublicKey::from_pem(ec_pem);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "key_invalid");
    CHECK(r.error().message.find("not Ed25519") != std::string::npos);
  }
  SECTION("a private key PEM is not a public key PEM") {
    auto r = Ed25519PublicKey::from_pem(new_key().to_pem());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "key_invalid");
  }
}
