// Ed25519 keys (sign, verify, PEM files, raw 32-byte keys) and SHA-256, over OpenSSL 3 EVP.
// Key objects are immutable after creation and safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "pma/error.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; only crypto.cpp includes OpenSSL headers.

namespace pma::codes {

// Byte strings travel as std::string / std::string_view, as Protobuf `bytes` fields do.
inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

using RawPublicKey = std::array<std::uint8_t, kEd25519PublicKeySize>;

// An Ed25519 public key. Errors: "key_invalid" (not an Ed25519 key, wrong size, bad PEM),
// "key_file_error" (the file could not be read or written; the message names it).
class Ed25519PublicKey {
 public:
  static Result<Ed25519PublicKey> from_raw(std::string_view raw);
  static Result<Ed25519PublicKey> from_pem(std::string_view pem);
  static Result<Ed25519PublicKey> load_pem_file(const std::filesystem::path& path);

  const RawPublicKey& raw() const { return raw_; }
  std::string raw_bytes() const { return std::string(raw_.begin(), raw_.end()); }
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  std::string to_pem() const;
  // Creates the file (mode 0644); fails rather than overwrite an existing one.
  Status write_pem_file(const std::filesystem::path& path) const;

  // True iff `signature` is this key's valid Ed25519 signature of `message`.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  Ed25519PublicKey(std::shared_ptr<evp_pkey_st> key, const RawPublicKey& raw)
      : key_(std::move(key)), raw_(raw) {}
  std::shared_ptr<evp_pkey_st> key_;
  RawPublicKey raw_;
};

// An Ed25519 private key (HQ's signing key, or a member app's key in tests and memberctl).
// Same error codes as Ed25519PublicKey, plus "crypto_error" when OpenSSL fails to sign.
class Ed25519PrivateKey {
 public:
  static Result<Ed25519PrivateKey> generate();
  static Result<Ed25519PrivateKey> from_pem(std::string_view pem);
  static Result<Ed25519PrivateKey> load_pem_file(const std::filesystem::path& path);

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Never log it.
  std::string to_pem() const;
  // Creates the file with mode 0600; fails rather than overwrite an existing one.
  Status write_pem_file(const std::filesystem::path& path) const;

  // The 64-byte signature of `message`.
  Result<std::string> sign(std::string_view message) const;

 private:
  Ed25519PrivateKey(std::shared_ptr<evp_pkey_st> key, Ed25519PublicKey public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  static Result<Ed25519PrivateKey> wrap(evp_pkey_st* key);
  std::shared_ptr<evp_pkey_st> key_;
  Ed25519PublicKey public_key_;
};

using Sha256Digest = std::array<std::uint8_t, 32>;
Sha256Digest sha256(std::string_view bytes);

// Lower-case hex of `bytes`.
std::string to_hex(std::string_view bytes);

}  // namespace pma::codes
