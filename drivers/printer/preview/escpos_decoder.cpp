#include "drivers/printer/preview/escpos_decoder.h"

#include <fmt/format.h>

#include <optional>

#include "drivers/printer/gbk.h"

namespace pma::printer::preview {

namespace {

constexpr unsigned char kLf = 0x0A;
constexpr unsigned char kEsc = 0x1B;
constexpr unsigned char kFs = 0x1C;
constexpr unsigned char kGs = 0x1D;

// The printer's modes as the commands so far set them.
struct Modes {
  Align align = Align::left;
  bool bold = false;
  int width = 1;
  int height = 1;
  bool chinese = false;
  int qr_module = 3;
  QrErrorCorrection qr_level = QrErrorCorrection::low;
  std::optional<std::string> qr_stored;
};

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : in_(bytes) {}

  Result<std::vector<PrintItem>> run() {
    while (at_ < in_.size()) {
      Status ok = step();
      if (!ok) return std::unexpected(ok.error());
    }
    if (!pending_.empty() || line_open_) {
      PMA_TRY(end_line());
    }
    return std::move(items_);
  }

 private:
  unsigned char byte_at(std::size_t i) const { return static_cast<unsigned char>(in_[i]); }

  Status need(std::size_t count, std::string_view command) const {
    if (at_ + count > in_.size()) {
      return fail("escpos_truncated",
                  fmt::format("{} at offset {} needs {} bytes, the job ends after {}", command, at_,
                              count, in_.size() - at_));
    }
    return {};
  }

  Status unsupported(std::size_t count, std::string_view what) const {
    std::string hex;
    for (std::size_t i = at_; i < at_ + count && i < in_.size(); ++i) {
      hex += fmt::format("{}{:02X}", hex.empty() ? "" : " ", byte_at(i));
    }
    return fail("escpos_unsupported",
                fmt::format("{} ({}) at offset {}: the preview draws only what memberd's "
                            "encoder sends",
                            what, hex, at_));
  }

  // Text of the current style ends here (a style change or the line's end).
  Status flush_run() {
    if (pending_.empty()) return {};
    TextRun run{.bold = modes_.bold, .width = modes_.width, .height = modes_.height};
    if (pending_chinese_) {
      auto utf8 = gbk_to_utf8(pending_);
      if (!utf8) {
        return fail(utf8.error().code,
                    fmt::format("{} (text ending at offset {})", utf8.error().message, at_));
      }
      run.text = std::move(*utf8);
    } else {
      run.text = pending_;
    }
    pending_.clear();
    if (!line_open_) {
      line_ = TextLine{.align = modes_.align};
      line_open_ = true;
    }
    line_.runs.push_back(std::move(run));
    return {};
  }

  Status end_line() {
    if (auto ok = flush_run(); !ok) return ok;
    if (!line_open_) line_ = TextLine{.align = modes_.align};  // an empty line still feeds
    items_.push_back(std::move(line_));
    line_ = {};
    line_open_ = false;
    return {};
  }

  // A mode change between characters of one line splits the line into runs.
  Status style_change() { return flush_run(); }

  Status append_text(std::string_view text, bool chinese) {
    if (!pending_.empty() && pending_chinese_ != chinese) {
      // ASCII and GBK in one style: each kind is decoded as its own run.
      if (auto ok = flush_run(); !ok) return ok;
    }
    pending_chinese_ = chinese;
    pending_ += text;
    return {};
  }

  Status step() {
    unsigned char b = byte_at(at_);
    if (b == kLf) {
      ++at_;
      return end_line();
    }
    if (b == kEsc) return escape();
    if (b == kGs) return group();
    if (b == kFs) return chinese_mode();
    if (b >= 0x20 && b <= 0x7E) {
      auto ok = append_text(in_.substr(at_, 1), false);
      ++at_;
      return ok;
    }
    if (b >= 0x81 && b <= 0xFE && modes_.chinese) {
      if (auto ok = need(2, "a GBK character"); !ok) return ok;
      auto ok = append_text(in_.substr(at_, 2), true);
      at_ += 2;
      return ok;
    }
    if (b >= 0x80) return unsupported(1, "a byte above 0x7F outside Chinese mode (FS &)");
    return unsupported(1, "an unknown control byte");
  }

  Status escape() {
    if (auto ok = need(2, "ESC"); !ok) return ok;
    unsigned char c = byte_at(at_ + 1);
    switch (c) {
      case '@':
        if (auto ok = flush_run(); !ok) return ok;
        modes_ = Modes{};
        at_ += 2;
        return {};
      case 'a': {
        if (auto ok = need(3, "ESC a"); !ok) return ok;
        unsigned char n = byte_at(at_ + 2);
        if (n > 2 && (n < '0' || n > '2')) return unsupported(3, "ESC a with an unknown n");
        modes_.align = static_cast<Align>(n >= '0' ? n - '0' : n);
        at_ += 3;
        return {};
      }
      case 'E': {
        if (auto ok = need(3, "ESC E"); !ok) return ok;
        if (auto ok = style_change(); !ok) return ok;
        modes_.bold = (byte_at(at_ + 2) & 1) != 0;
        at_ += 3;
        return {};
      }
      case 'd': {
        if (auto ok = need(3, "ESC d"); !ok) return ok;
        if (line_open_ || !pending_.empty()) {
          if (auto ok = end_line(); !ok) return ok;  // ESC d prints the buffer first
        }
        items_.push_back(Feed{.lines = byte_at(at_ + 2)});
        at_ += 3;
        return {};
      }
      case 'p': {
        if (auto ok = need(5, "ESC p"); !ok) return ok;
        items_.push_back(DrawerPulse{.pin = byte_at(at_ + 2) & 1});
        at_ += 5;
        return {};
      }
      default:
        return unsupported(2, "an unknown ESC command");
    }
  }

  Status chinese_mode() {
    if (auto ok = need(2, "FS"); !ok) return ok;
    unsigned char c = byte_at(at_ + 1);
    if (c != '&' && c != '.') return unsupported(2, "an unknown FS command");
    modes_.chinese = c == '&';
    at_ += 2;
    return {};
  }

  Status group() {
    if (auto ok = need(2, "GS"); !ok) return ok;
    unsigned char c = byte_at(at_ + 1);
    if (c == '!') {
      if (auto ok = need(3, "GS !"); !ok) return ok;
      if (auto ok = style_change(); !ok) return ok;
      unsigned char n = byte_at(at_ + 2);
      modes_.width = ((n >> 4) & 0x07) + 1;
      modes_.height = (n & 0x07) + 1;
      at_ += 3;
      return {};
    }
    if (c == 'V') return cut();
    if (c == '(') return qr_function();
    return unsupported(2, "an unknown GS command");
  }

  Status cut() {
    if (auto ok = need(3, "GS V"); !ok) return ok;
    unsigned char m = byte_at(at_ + 2);
    Cut item;
    std::size_t length = 3;
    if (m == 0 || m == 48 || m == 1 || m == 49) {
      item.partial = m == 1 || m == 49;
    } else if (m == 65 || m == 66) {
      if (auto ok = need(4, "GS V"); !ok) return ok;
      item.partial = m == 66;
      item.feed_units = byte_at(at_ + 3);
      length = 4;
    } else {
      return unsupported(3, "GS V with an unknown mode");
    }
    if (line_open_ || !pending_.empty()) {
      if (auto ok = end_line(); !ok) return ok;
    }
    items_.push_back(item);
    at_ += length;
    return {};
  }

  Status qr_function() {
    if (auto ok = need(5, "GS ( k"); !ok) return ok;
    if (byte_at(at_ + 2) != 'k') return unsupported(3, "an unknown GS ( function");
    std::size_t length = byte_at(at_ + 3) | (static_cast<std::size_t>(byte_at(at_ + 4)) << 8);
    if (auto ok = need(5 + length, "GS ( k"); !ok) return ok;
    if (length < 2 || byte_at(at_ + 5) != 49) {
      return unsupported(std::min<std::size_t>(6, 5 + length), "GS ( k for a symbol other than QR");
    }
    std::string_view body = in_.substr(at_ + 7, length - 2);
    unsigned char fn = byte_at(at_ + 6);
    auto arg = [&](std::size_t i) -> int {
      return i < body.size() ? static_cast<unsigned char>(body[i]) : -1;
    };
    switch (fn) {
      case 65:  // model: only model 2 (50) is what we send
        if (arg(0) != 50) return unsupported(5 + length, "GS ( k fn 165 with a model other than 2");
        break;
      case 67:
        if (arg(0) < 1 || arg(0) > 16) return unsupported(5 + length, "GS ( k fn 167 module size");
        modes_.qr_module = arg(0);
        break;
      case 69:
        if (arg(0) < 48 || arg(0) > 51) {
          return unsupported(5 + length, "GS ( k fn 169 error correction");
        }
        modes_.qr_level = static_cast<QrErrorCorrection>(arg(0) - 48);
        break;
      case 80:
        if (arg(0) != 48) return unsupported(5 + length, "GS ( k fn 180 with m other than 48");
        modes_.qr_stored = std::string(body.substr(1));
        break;
      case 81: {
        if (arg(0) != 48) return unsupported(5 + length, "GS ( k fn 181 with m other than 48");
        if (!modes_.qr_stored || modes_.qr_stored->empty()) {
          return unsupported(5 + length, "GS ( k fn 181 with no symbol stored");
        }
        if (line_open_ || !pending_.empty()) {
          if (auto ok = end_line(); !ok) return ok;
        }
        items_.push_back(QrSymbol{.payload = *modes_.qr_stored,
                                  .module_size = modes_.qr_module,
                                  .error_correction = modes_.qr_level,
                                  .align = modes_.align});
        break;
      }
      default:
        return unsupported(7, "an unknown GS ( k QR function");
    }
    at_ += 5 + length;
    return {};
  }

  std::string_view in_;
  std::size_t at_ = 0;
  Modes modes_;
  std::string pending_;
  bool pending_chinese_ = false;
  TextLine line_;
  bool line_open_ = false;
  std::vector<PrintItem> items_;
};

}  // namespace

std::string TextLine::text() const {
  std::string out;
  for (const TextRun& run : runs) out += run.text;
  return out;
}

Result<std::vector<PrintItem>> decode_escpos(std::string_view bytes) {
  return Decoder(bytes).run();
}

}  // namespace pma::printer::preview
