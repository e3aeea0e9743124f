// The only file in pma_printer that includes <iconv.h>.
#include "drivers/printer/gbk.h"

#include <fmt/format.h>
#include <iconv.h>

#include <array>
#include <utility>

namespace pma::printer {

namespace {

// Characters whose GB18030 form is four bytes (no GBK code), mapped to a look-alike a GBK
// printer can print. Anything else four-byte becomes "?".
struct Equivalent {
  char32_t from;
  std::u32string_view to;
};
constexpr std::array kEquivalents = {
    Equivalent{U'\u00A5', U"\uFFE5"},  // ¥ -> ￥ (fullwidth yen/yuan sign)
    Equivalent{U'\u00A0', U" "},       // no-break space
    Equivalent{U'\u2022', U"\u00B7"},  // bullet -> middle dot
    Equivalent{U'\u2013', U"-"},       // en dash
    Equivalent{U'\u00A9', U"(C)"},     // ©
    Equivalent{U'\u00AE', U"(R)"},     // ®
    Equivalent{U'\u2122', U"TM"},      // ™
    Equivalent{U'\u00A2', U"\uFFE0"},  // ¢ -> ￠
    Equivalent{U'\u00A3', U"\uFFE1"},  // £ -> ￡
    Equivalent{U'\u3000', U"  "},      // ideographic space (kept two columns wide)
};

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c < 0xA0); }

}  // namespace

Result<GbkCodec> GbkCodec::open() {
  iconv_t handle = ::iconv_open("GB18030", "UTF-32LE");
  if (handle == reinterpret_cast<iconv_t>(-1)) {
    return fail("iconv_unavailable", "iconv_open(GB18030, UTF-32LE) failed: no GB18030 support");
  }
  return GbkCodec(handle);
}

GbkCodec::~GbkCodec() {
  if (handle_ != nullptr) ::iconv_close(static_cast<iconv_t>(handle_));
}

GbkCodec::GbkCodec(GbkCodec&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

GbkCodec& GbkCodec::operator=(GbkCodec&& other) noexcept {
  std::swap(handle_, other.handle_);
  return *this;
}

std::string GbkCodec::convert(char32_t code_point) {
  std::array<char, 4> in = {
      static_cast<char>(code_point & 0xFF), static_cast<char>((code_point >> 8) & 0xFF),
      static_cast<char>((code_point >> 16) & 0xFF), static_cast<char>((code_point >> 24) & 0xFF)};
  std::array<char, 8> out{};
  char* in_ptr = in.data();
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  auto cd = static_cast<iconv_t>(handle_);
  ::iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state after any failure
  if (::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) == static_cast<std::size_t>(-1)) {
    return {};
  }
  return std::string(out.data(), static_cast<std::size_t>(out_ptr - out.data()));
}

std::string GbkCodec::encode(char32_t code_point) {
  if (is_control(code_point)) return {};
  if (code_point < 0x80) return std::string(1, static_cast<char>(code_point));
  std::string bytes = convert(code_point);
  if (bytes.size() == 2) return bytes;
  for (const Equivalent& e : kEquivalents) {
    if (e.from != code_point) continue;
    std::string mapped;
    for (char32_t c : e.to) {
      std::string part = c < 0x80 ? std::string(1, static_cast<char>(c)) : convert(c);
      if (part.empty() || part.size() > 2) return "?";
      mapped += part;
    }
    return mapped;
  }
  return "?";
}

bool GbkCodec::substituted(char32_t code_point) {
  return code_point != U'?' && encode(code_point) == "?";
}

Result<std::string> gbk_to_utf8(std::string_view gbk) {
  iconv_t cd = ::iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return fail("iconv_unavailable", "iconv_open(UTF-8, GB18030) failed: no GB18030 support");
  }
  std::string in(gbk);
  std::string out(in.size() * 2 + 4, '\0');  // a two-byte character is at most 3 in UTF-8
  char* in_ptr = in.data();
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  std::size_t done = ::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  ::iconv_close(cd);
  if (done == static_cast<std::size_t>(-1)) {
    std::size_t at = in.size() - in_left;
    unsigned first = static_cast<unsigned char>(in[at]);
    unsigned second = at + 1 < in.size() ? static_cast<unsigned char>(in[at + 1]) : 0;
    return fail("escpos_text_invalid",
                fmt::format("bytes {:02X} {:02X} are not a GB18030 character", first, second));
  }
  out.resize(static_cast<std::size_t>(out_ptr - out.data()));
  return out;
}

}  // namespace pma::printer
