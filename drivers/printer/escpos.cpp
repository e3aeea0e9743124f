#include "drivers/printer/escpos.h"

#include <fmt/format.h>

#include <algorithm>

namespace pma::printer {

namespace {

constexpr char kEsc = 0x1B;
constexpr char kGs = 0x1D;
constexpr char kFs = 0x1C;
constexpr std::size_t kMaxQrBytes = 2953;  // model 2, version 40, level L, byte mode

char byte(int value) { return static_cast<char>(value & 0xFF); }

}  // namespace

Result<EscPosEncoder> EscPosEncoder::create(std::size_t columns) {
  PMA_TRY_ASSIGN(auto codec, GbkCodec::open());
  return EscPosEncoder(std::move(codec), columns);
}

EscPosEncoder& EscPosEncoder::initialize() {
  bytes_ += {kEsc, '@'};
  width_ = 1;
  return *this;
}

EscPosEncoder& EscPosEncoder::align(Align align) {
  int n = align == Align::left ? 0 : align == Align::center ? 1 : 2;
  bytes_ += {kEsc, 'a', byte(n)};
  return *this;
}

EscPosEncoder& EscPosEncoder::bold(bool on) {
  bytes_ += {kEsc, 'E', byte(on ? 1 : 0)};
  return *this;
}

EscPosEncoder& EscPosEncoder::size(int width, int height) {
  width = std::clamp(width, 1, 8);
  height = std::clamp(height, 1, 8);
  width_ = width;
  bytes_ += {kGs, '!', byte(((width - 1) << 4) | (height - 1))};
  return *this;
}

std::size_t EscPosEncoder::line_columns() const {
  return std::max<std::size_t>(1, columns_ / static_cast<std::size_t>(width_));
}

EscPosEncoder& EscPosEncoder::text(std::string_view utf8) {
  bool chinese = false;
  for (char32_t c : decode_utf8(utf8)) {
    std::string encoded = codec_.encode(c);
    if (encoded.empty()) continue;
    if (encoded == "?" && c != U'?') ++substitutions_;
    bool wide = static_cast<unsigned char>(encoded[0]) >= 0x80;
    if (wide && !chinese) bytes_ += {kFs, '&'};
    if (!wide && chinese) bytes_ += {kFs, '.'};
    chinese = wide;
    bytes_ += encoded;
  }
  if (chinese) bytes_ += {kFs, '.'};
  return *this;
}

EscPosEncoder& EscPosEncoder::line(std::string_view utf8) {
  for (const std::string& part : wrap_text(codec_, utf8, line_columns())) {
    text(part);
    bytes_ += '\n';
  }
  return *this;
}

EscPosEncoder& EscPosEncoder::row(std::string_view label, std::string_view value) {
  for (const std::string& part : two_column(codec_, label, value, line_columns())) {
    text(part);
    bytes_ += '\n';
  }
  return *this;
}

EscPosEncoder& EscPosEncoder::rule(char fill) {
  if (static_cast<unsigned char>(fill) < 0x20 || static_cast<unsigned char>(fill) > 0x7E) {
    fill = '-';
  }
  bytes_ += std::string(line_columns(), fill);
  bytes_ += '\n';
  return *this;
}

EscPosEncoder& EscPosEncoder::qr(std::string_view payload, const QrOptions& options) {
  if (payload.empty() || payload.size() > kMaxQrBytes) {
    record_error("qr_payload_size", fmt::format("QR payload of {} bytes is outside 1..{}",
                                                payload.size(), kMaxQrBytes));
    return *this;
  }
  int module = std::clamp(options.module_size, 1, 16);
  int level = 48 + static_cast<int>(options.error_correction);  // '0'..'3' = L, M, Q, H
  bytes_ += {kGs, '(', 'k', 4, 0, 49, 65, 50, 0};               // fn 165: model 2
  bytes_ += {kGs, '(', 'k', 3, 0, 49, 67, byte(module)};        // fn 167: module size
  bytes_ += {kGs, '(', 'k', 3, 0, 49, 69, byte(level)};         // fn 169: error correction
  std::size_t length = payload.size() + 3;
  bytes_ +=
      {kGs, '(', 'k', byte(static_cast<int>(length & 0xFF)), byte(static_cast<int>(length >> 8)),
       49,  80,  48};  // fn 180: store
  bytes_ += payload;
  bytes_ += {kGs, '(', 'k', 3, 0, 49, 81, 48};  // fn 181: print the stored symbol
  return *this;
}

EscPosEncoder& EscPosEncoder::code128(std::string_view data, int height_dots) {
  bool printable = std::all_of(data.begin(), data.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7E;
  });
  if (data.empty() || data.size() > 253 || !printable) {
    record_error("barcode_data_invalid",
                 fmt::format("CODE128 data of {} bytes must be 1..253 printable ASCII characters",
                             data.size()));
    return *this;
  }
  std::string body = "{B";
  for (char c : data) {
    body += c;
    if (c == '{') body += '{';  // a literal '{' is escaped as "{{" in GS k 73
  }
  if (body.size() > 255) {
    record_error("barcode_data_invalid", "CODE128 data too long after escaping");
    return *this;
  }
  bytes_ += {kGs, 'h', byte(std::clamp(height_dots, 1, 255))};
  bytes_ += {kGs, 'H', 2};  // human-readable text below
  bytes_ += {kGs, 'k', 73, byte(static_cast<int>(body.size()))};
  bytes_ += body;
  return *this;
}

EscPosEncoder& EscPosEncoder::feed(int lines) {
  bytes_ += {kEsc, 'd', byte(std::clamp(lines, 0, 255))};
  return *this;
}

EscPosEncoder& EscPosEncoder::cut(CutMode mode, int feed_units) {
  bytes_ += {kGs, 'V', byte(mode == CutMode::full ? 65 : 66), byte(std::clamp(feed_units, 0, 255))};
  return *this;
}

EscPosEncoder& EscPosEncoder::drawer_pulse(int pin, int on_ms, int off_ms) {
  // t1, t2 are in units of 2 ms; off must be at least on.
  int on = std::clamp(on_ms / 2, 1, 255);
  int off = std::clamp(std::max(off_ms, on_ms) / 2, on, 255);
  bytes_ += {kEsc, 'p', byte(pin == 0 ? 0 : 1), byte(on), byte(off)};
  return *this;
}

EscPosEncoder& EscPosEncoder::raw(std::string_view bytes) {
  bytes_ += bytes;
  return *this;
}

void EscPosEncoder::record_error(std::string code, std::string message) {
  if (!error_) error_ = Error{std::move(code), std::move(message)};
}

Status EscPosEncoder::status() const {
  if (error_) return std::unexpected(*error_);
  return {};
}

Result<std::string> EscPosEncoder::finish() && {
  if (error_) return std::unexpected(*error_);
  return std::move(bytes_);
}

Result<std::string> reprint_banner(std::size_t columns) {
  PMA_TRY_ASSIGN(auto encoder, EscPosEncoder::create(columns));
  encoder.align(Align::center).bold(true).line("*** REPRINT 重印 ***").bold(false);
  encoder.line("(interrupted job printed again)").align(Align::left);
  return std::move(encoder).finish();
}

Result<std::string> with_reprint_banner(std::string_view job, std::size_t columns) {
  auto banner = reprint_banner(columns);
  if (!banner) return banner;
  constexpr std::string_view kInit = "\x1b@";
  std::string out;
  out.reserve(job.size() + banner->size() + kInit.size());
  out += kInit;
  out += *banner;
  out += job.starts_with(kInit) ? job.substr(kInit.size()) : job;
  return out;
}

}  // namespace pma::printer
