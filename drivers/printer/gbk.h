// GbkCodec: Unicode text to the two-byte GBK subset of GB18030 that receipt printers print in
// Chinese mode (FS &). Not thread-safe: one codec per thread (it owns an iconv handle).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::printer {

class GbkCodec {
 public:
  // Opens the converter. Errors: "iconv_unavailable" when the C library lacks GB18030.
  static Result<GbkCodec> open();
  ~GbkCodec();
  GbkCodec(GbkCodec&& other) noexcept;
  GbkCodec& operator=(GbkCodec&& other) noexcept;
  GbkCodec(const GbkCodec&) = delete;
  GbkCodec& operator=(const GbkCodec&) = delete;

  // The bytes a printer in Chinese mode is sent for one code point: ASCII as itself, a GBK
  // character as its two bytes; a character that needs four bytes in GB18030 (e.g. U+00A5 ¥)
  // as a two-byte or ASCII equivalent (U+FFE5 ￥) or, failing that, "?" (a substitution).
  // Never returns a byte sequence longer than two bytes per printed character, and never a
  // control character (C0, DEL, C1 map to "").
  std::string encode(char32_t code_point);

  // True when encode(code_point) is a substitute ("?") rather than the character itself.
  bool substituted(char32_t code_point);

  // Printed width in columns of the normal font: one per single byte, two per GBK character.
  std::size_t width(char32_t code_point) { return encode(code_point).size(); }

 private:
  explicit GbkCodec(void* handle) : handle_(handle) {}
  std::string convert(char32_t code_point);  // raw GB18030 bytes, "" when iconv fails

  void* handle_ = nullptr;  // iconv_t
};

// Two-byte GBK (as a printer in Chinese mode receives it) back to UTF-8, for the receipt preview.
// Errors: "iconv_unavailable"; "escpos_text_invalid" naming the first byte pair that is not a
// GB18030 character.
Result<std::string> gbk_to_utf8(std::string_view gbk);

}  // namespace pma::printer
