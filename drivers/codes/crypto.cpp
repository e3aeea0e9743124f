// The only file of drivers/codes that includes OpenSSL.
#include "drivers/codes/crypto.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pma::codes {
namespace {

std::shared_ptr<evp_pkey_st> own(EVP_PKEY* key) {
  return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free);
}

// Drains OpenSSL's thread-local error queue into one message, so failures never leak into an
// unrelated later call's error report.
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

BioPtr memory_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), BIO_free);
}

std::string drain_bio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("key_file_error",
                fmt::format("cannot open key file {}: {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return fail("key_file_error", fmt::format("cannot read {}", path.string()));
  return buf.str();
}

Status write_new_file(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail("key_file_error",
                fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return fail("key_file_error",
                  fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return fail("key_file_error",
                fmt::format("cannot flush {}: {}", path.string(), std::strerror(errno)));
  }
  return {};
}

Result<RawPublicKey> raw_public_of(EVP_PKEY* key) {
  RawPublicKey raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size()) {
    return fail("key_invalid", "cannot extract the raw Ed25519 public key: " + openssl_errors());
  }
  return raw;
}

}  // namespace

Result<Ed25519PublicKey> Ed25519PublicKey::from_raw(std::string_view raw) {
  if (raw.size() != kEd25519PublicKeySize) {
    return fail("key_invalid",
                fmt::format("an Ed25519 public key is 32 bytes, got {}", raw.size()));
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (key == nullptr) {
    return fail("key_invalid", "not a valid Ed25519 public key: " + openssl_errors());
  }
  RawPublicKey bytes{};
  std::memcpy(bytes.data(), raw.data(), bytes.size());
  return Ed25519PublicKey(own(key), bytes);
}

Result<Ed25519PublicKey> Ed25519PublicKey::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return fail("key_invalid", "not a PEM public key: " + openssl_errors());
  }
  auto owned = own(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    return fail("key_invalid", fmt::format("PEM public key is {}, not Ed25519",
                                           OBJ_nid2sn(EVP_PKEY_get_base_id(key))));
  }
  PMA_TRY_ASSIGN(auto raw, raw_public_of(key));
  return Ed25519PublicKey(std::move(owned), raw);
}

Result<Ed25519PublicKey> Ed25519PublicKey::load_pem_file(const std::filesystem::path& path) {
  PMA_TRY_ASSIGN(auto text, read_file(path));
  auto key = from_pem(text);
  if (!key) return fail(key.error().code, path.string() + ": " + key.error().message);
  return key;
}

std::string Ed25519PublicKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  return drain_bio(bio.get());
}

Status Ed25519PublicKey::write_pem_file(const std::filesystem::path& path) const {
  return write_new_file(path, to_pem(), 0644);
}

bool Ed25519PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kEd25519SignatureSize) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::wrap(EVP_PKEY* key) {
  auto owned = own(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    return fail("key_invalid", fmt::format("PEM private key is {}, not Ed25519",
                                           OBJ_nid2sn(EVP_PKEY_get_base_id(key))));
  }
  PMA_TRY_ASSIGN(auto raw, raw_public_of(key));
  PMA_TRY_ASSIGN(auto pub, Ed25519PublicKey::from_raw(std::string_view(
                               reinterpret_cast<const char*>(raw.data()), raw.size())));
  return Ed25519PrivateKey(std::move(owned), std::move(pub));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    return fail("crypto_error", "Ed25519 key generation failed: " + openssl_errors());
  }
  return wrap(key);
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return fail("key_invalid", "not an unencrypted PEM private key: " + openssl_errors());
  }
  return wrap(key);
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::load_pem_file(const std::filesystem::path& path) {
  PMA_TRY_ASSIGN(auto text, read_file(path));
  auto key = from_pem(text);
  if (!key) return fail(key.error().code, path.string() + ": " + key.error().message);
  return key;
}

std::string Ed25519PrivateKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return drain_bio(bio.get());
}

Status Ed25519PrivateKey::write_pem_file(const std::filesystem::path& path) const {
  return write_new_file(path, to_pem(), 0600);
}

Result<std::string> Ed25519PrivateKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(kEd25519SignatureSize, '\0');
  std::size_t len = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return fail("crypto_error", "Ed25519 signing failed: " + openssl_errors());
  }
  return signature;
}

Sha256Digest sha256(std::string_view bytes) {
  Sha256Digest digest{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return digest;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char b : bytes) {
    const auto u = static_cast<unsigned char>(b);
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 0xf]);
  }
  return out;
}

}  // namespace pma::codes
