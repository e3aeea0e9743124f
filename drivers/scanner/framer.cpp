#include "drivers/scanner/framer.h"

#include <fmt/format.h>

#include "pma/utf8.h"

namespace pma::scanner {

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool is_ascii_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }

}  // namespace

Result<Terminator> parse_terminator(std::string_view text) {
  if (text == "any") return Terminator::any;
  if (text == "cr") return Terminator::cr;
  if (text == "lf") return Terminator::lf;
  if (text == "crlf") return Terminator::crlf;
  if (text == "tab") return Terminator::tab;
  if (text == "none") return Terminator::none;
  return fail("invalid_terminator",
              fmt::format("terminator '{}' is not one of any, cr, lf, crlf, tab, none", text));
}

std::string_view to_string(Terminator terminator) {
  switch (terminator) {
    case Terminator::cr:
      return "cr";
    case Terminator::lf:
      return "lf";
    case Terminator::crlf:
      return "crlf";
    case Terminator::tab:
      return "tab";
    case Terminator::none:
      return "none";
    case Terminator::any:
      return "any";
  }
  return "unknown";
}

std::string_view symbology_name(std::string_view aim_identifier) {
  if (aim_identifier.size() < 2 || aim_identifier[0] != ']') return "";
  switch (aim_identifier[1]) {
    case 'A':
      return "Code 39";
    case 'C':
      return "Code 128";
    case 'd':
      return "Data Matrix";
    case 'E':
      return "EAN/UPC";
    case 'e':
      return "GS1 DataBar";
    case 'F':
      return "Codabar";
    case 'G':
      return "Code 93";
    case 'I':
      return "Interleaved 2 of 5";
    case 'L':
      return "PDF417";
    case 'Q':
      return "QR Code";
    case 'z':
      return "Aztec";
    default:
      return "";
  }
}

Status FramerConfig::validate() const {
  if (max_length < 1 || max_length > 65536) {
    return fail("invalid_scanner_config",
                fmt::format("max_length {} is outside 1..65536", max_length));
  }
  if (intercharacter_timeout.count() < 1 || intercharacter_timeout.count() > 10000) {
    return fail("invalid_scanner_config",
                fmt::format("intercharacter_timeout_ms {} is outside 1..10000",
                            intercharacter_timeout.count()));
  }
  if (partial_timeout.count() < 1 || partial_timeout.count() > 600000) {
    return fail("invalid_scanner_config",
                fmt::format("partial_timeout_ms {} is outside 1..600000", partial_timeout.count()));
  }
  if (duplicate_window.count() < 0 || duplicate_window.count() > 60000) {
    return fail("invalid_scanner_config", fmt::format("duplicate_window_ms {} is outside 0..60000",
                                                      duplicate_window.count()));
  }
  switch (terminator) {
    case Terminator::cr:
    case Terminator::lf:
    case Terminator::crlf:
    case Terminator::tab:
    case Terminator::none:
    case Terminator::any:
      return {};
  }
  return fail("invalid_scanner_config", "terminator is not one of any, cr, lf, crlf, tab, none");
}

Framer::Framer(FramerConfig config) : config_(config) {}

std::optional<TimePoint> Framer::idle_deadline() const {
  if (!in_frame_) return std::nullopt;
  if (config_.terminator == Terminator::none) {
    return last_byte_at_ + config_.intercharacter_timeout;
  }
  return last_byte_at_ + config_.partial_timeout;
}

void Framer::discard_partial() { reset_frame(); }

void Framer::reset_frame() {
  buffer_.clear();
  in_frame_ = false;
  oversize_ = false;
  pending_cr_ = false;
}

std::vector<ScanEvent> Framer::on_idle(TimePoint now) {
  auto deadline = idle_deadline();
  if (!deadline || now < *deadline) return {};
  return finish(now);
}

std::vector<ScanEvent> Framer::finish(TimePoint now) {
  std::vector<ScanEvent> out;
  if (!in_frame_) return out;
  if (config_.terminator == Terminator::none) {
    end_frame(now, out);
  } else {
    // A partial code that never got its terminator (or an oversize line). Reported unless
    // only control bytes came: the caller logs it and tells the POS.
    if (oversize_) {
      ++stats_.oversize;
    } else if (!buffer_.empty()) {
      ++stats_.partials_dropped;
      out.push_back(ScanEvent{.code = {},
                              .symbology = {},
                              .device = {},
                              .first_byte_at = first_byte_at_,
                              .completed_at = now,
                              .dropped_partial = buffer_.size()});
    }
    reset_frame();
  }
  return out;
}

std::vector<ScanEvent> Framer::feed(std::string_view bytes, TimePoint now) {
  std::vector<ScanEvent> out;
  if (bytes.empty()) return out;
  // The gap before these bytes may already have ended the previous frame.
  if (auto deadline = idle_deadline(); deadline && now >= *deadline) out = on_idle(now);

  const Terminator mode = config_.terminator;
  const char single = mode == Terminator::cr ? '\r' : mode == Terminator::lf ? '\n' : '\t';
  for (char c : bytes) {
    if (mode == Terminator::any && (c == '\r' || c == '\n')) {
      // The second half of a CRLF (or LFCR) right after a terminator is not an empty code.
      if (!in_frame_ && last_terminator_ != 0 && last_terminator_ != c) {
        last_terminator_ = 0;
        continue;
      }
      end_frame(now, out);
      last_terminator_ = c;
      continue;
    }
    if (mode == Terminator::none) {
      push_char(c, now);
      continue;
    }
    if (mode == Terminator::crlf) {
      if (pending_cr_) {
        pending_cr_ = false;
        if (c == '\n') {
          end_frame(now, out);
          continue;
        }
        ++stats_.control_chars_dropped;  // a CR without its LF
      }
      if (c == '\r') {
        if (!in_frame_) first_byte_at_ = now;
        in_frame_ = true;
        pending_cr_ = true;
        last_byte_at_ = now;
        continue;
      }
      push_char(c, now);
      continue;
    }
    if (c == single) {
      end_frame(now, out);
      last_terminator_ = c;
      continue;
    }
    // A scanner set to CRLF on a CR (or LF) port: the other half right after a terminator is
    // part of the suffix, not noise.
    if (!in_frame_ &&
        ((last_terminator_ == '\r' && c == '\n') || (last_terminator_ == '\n' && c == '\r'))) {
      last_terminator_ = 0;
      continue;
    }
    push_char(c, now);
  }
  return out;
}

void Framer::push_char(char c, TimePoint now) {
  if (!in_frame_) {
    in_frame_ = true;
    first_byte_at_ = now;
  }
  last_byte_at_ = now;
  last_terminator_ = 0;
  if (is_control(static_cast<unsigned char>(c))) {
    ++stats_.control_chars_dropped;
    return;
  }
  if (oversize_) return;
  if (buffer_.size() >= config_.max_length) {
    oversize_ = true;
    buffer_.clear();
    return;
  }
  buffer_.push_back(c);
}

void Framer::end_frame(TimePoint now, std::vector<ScanEvent>& out) {
  if (oversize_) {
    ++stats_.oversize;
    reset_frame();
    return;
  }
  std::string code = std::move(buffer_);
  const TimePoint first = in_frame_ ? first_byte_at_ : now;
  reset_frame();
  std::string symbology;
  if (config_.strip_aim && code.size() >= 3 && code[0] == ']' && is_ascii_alpha(code[1]) &&
      is_ascii_alnum(code[2])) {
    symbology = code.substr(0, 3);
    code.erase(0, 3);
  }
  if (code.empty()) {
    ++stats_.empty_frames;
    return;
  }
  // Line noise on a serial wire shows up as bytes that are not UTF-8; a real code (ASCII, or
  // UTF-8 text in a QR code) always is, and scans travel in Protobuf strings.
  if (!pma::is_valid_utf8(code)) {
    ++stats_.noise_frames;
    return;
  }
  if (config_.duplicate_window.count() > 0 && has_last_code_ && code == last_code_ &&
      now - last_code_at_ < config_.duplicate_window) {
    ++stats_.duplicates;
    last_code_at_ = now;  // a scanner in continuous mode repeats: the window slides
    return;
  }
  last_code_ = code;
  last_code_at_ = now;
  has_last_code_ = true;
  ++stats_.scans;
  out.push_back(ScanEvent{.code = std::move(code),
                          .symbology = std::move(symbology),
                          .device = {},
                          .first_byte_at = first,
                          .completed_at = now});
}

}  // namespace pma::scanner
