// EscPosEncoder: builds the ESC/POS byte stream of one receipt (text in Chinese mode as
// two-byte GBK, styles, QR codes, CODE128 barcodes, feed and cut, cash drawer pulse).
// Not thread-safe: one encoder builds one document on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/printer/gbk.h"
#include "drivers/printer/layout.h"
#include "pma/error.h"

namespace pma::printer {

// QR error correction: L 7%, M 15%, Q 25%, H 30% of the symbol recoverable.
enum class QrErrorCorrection { low, medium, quartile, high };

enum class CutMode { full, partial };

struct QrOptions {
  int module_size = 6;  // dots per module, 1..16
  QrErrorCorrection error_correction = QrErrorCorrection::medium;
};

class EscPosEncoder {
 public:
  // An encoder for paper `columns` wide (32 or 48). Errors: "iconv_unavailable".
  static Result<EscPosEncoder> create(std::size_t columns);

  // ESC @: resets the printer's modes. Emitted at the start of every job.
  EscPosEncoder& initialize();
  // ESC a n.
  EscPosEncoder& align(Align align);
  // ESC E n.
  EscPosEncoder& bold(bool on);
  // GS ! n: character size multipliers, each 1..8 (clamped). Wrapping uses the width.
  EscPosEncoder& size(int width, int height);

  // Text as is (no wrapping, no line feed). Runs of non-ASCII characters are sent between
  // FS & and FS . as two-byte GBK; control characters in `utf8` are dropped, so text can never
  // inject printer commands.
  EscPosEncoder& text(std::string_view utf8);
  // Text wrapped to the paper at the current character width, each line ended with LF and
  // placed by the current alignment (the printer aligns; we wrap).
  EscPosEncoder& line(std::string_view utf8);
  // Label left, value right on one line (or more, see two_column in layout.h).
  EscPosEncoder& row(std::string_view label, std::string_view value);
  // A full-width rule of `fill` characters.
  EscPosEncoder& rule(char fill = '-');

  // GS ( k: model 2 QR code of `payload` (byte mode, at most 2953 bytes), stored then printed.
  // An over-long or empty payload is recorded as an error (see status()).
  EscPosEncoder& qr(std::string_view payload, const QrOptions& options = {});
  // GS k 73: CODE128 in code set B (printable ASCII, at most 253 characters); other input is
  // recorded as an error.
  EscPosEncoder& code128(std::string_view data, int height_dots = 80);
  // ESC d n.
  EscPosEncoder& feed(int lines);
  // GS V 65/66 n: feed `feed_lines` (in 1/180 in: ~line units of 30) and cut.
  EscPosEncoder& cut(CutMode mode = CutMode::partial, int feed_units = 90);
  // ESC p m t1 t2: pulse the cash drawer on connector pin 2 (pin 0) or 5 (pin 1); times in ms.
  EscPosEncoder& drawer_pulse(int pin = 0, int on_ms = 100, int off_ms = 200);
  // Bytes appended verbatim (for callers that know the printer).
  EscPosEncoder& raw(std::string_view bytes);

  std::size_t columns() const { return columns_; }
  // Columns available at the current character width.
  std::size_t line_columns() const;
  // Characters that had no two-byte GBK form and were printed as "?".
  std::size_t substitutions() const { return substitutions_; }
  // The first error recorded by qr() or code128(), if any.
  Status status() const;
  const std::string& bytes() const { return bytes_; }
  // The document, or the first recorded error.
  Result<std::string> finish() &&;

 private:
  EscPosEncoder(GbkCodec codec, std::size_t columns)
      : codec_(std::move(codec)), columns_(columns) {}
  void record_error(std::string code, std::string message);

  GbkCodec codec_;
  std::size_t columns_;
  int width_ = 1;
  std::string bytes_;
  std::size_t substitutions_ = 0;
  std::optional<Error> error_;
};

// The banner put on top of a job printed again after an interruption ("REPRINT" in English
// and Chinese, centred, bold), leaving the printer's modes reset. `columns`: 32 or 48.
Result<std::string> reprint_banner(std::size_t columns);

// Inserts reprint_banner() after the job's leading ESC @ (or at its start).
Result<std::string> with_reprint_banner(std::string_view job, std::size_t columns);

}  // namespace pma::printer
