// The receipt preview's ESC/POS decoder: the byte stream a printer receives, back to what it
// prints (text lines with their styles, QR symbols, feeds, cuts), for the subset EscPosEncoder
// emits. Anything else is refused with the command and its offset, so a preview never shows a
// guess. A pure function of the bytes; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "drivers/printer/escpos.h"
#include "drivers/printer/layout.h"
#include "pma/error.h"

namespace pma::printer::preview {

// A piece of a line printed in one style.
struct TextRun {
  std::string text;  // UTF-8 (GBK decoded); one column per ASCII byte, two per GBK character
  bool bold = false;
  int width = 1;  // GS ! character size multipliers, 1..8
  int height = 1;
};

// One printed line: what came before an LF (or the end of the job).
struct TextLine {
  std::vector<TextRun> runs;
  Align align = Align::left;  // ESC a in force when the line's first character arrived
  std::string text() const;   // the runs' text joined
};

// GS ( k fn 180 then fn 181: the stored symbol printed.
struct QrSymbol {
  std::string payload;
  int module_size = 3;  // dots per module (fn 167), printer default 3
  QrErrorCorrection error_correction = QrErrorCorrection::low;  // fn 169, printer default L
  Align align = Align::left;
};

struct Feed {
  int lines = 0;  // ESC d n
};

struct Cut {
  bool partial = true;
  int feed_units = 0;  // GS V 65/66 n: paper fed before the cut, in motion units (dots)
};

// ESC p: no ink, kept so a preview can say a drawer would open.
struct DrawerPulse {
  int pin = 0;
};

using PrintItem = std::variant<TextLine, QrSymbol, Feed, Cut, DrawerPulse>;

// Decodes a job. Understood: LF; ESC @, ESC a, ESC E, ESC d, ESC p; GS !, GS V (m 0/1/48/49, or
// 65/66 with n); FS & and FS . (GBK text between them); GS ( k with cn 49 and fn 65, 67, 69, 80,
// 81. Errors: "escpos_unsupported" (any other command or control byte, a byte >= 0x80 outside
// Chinese mode; the message names the bytes and their offset), "escpos_truncated" (a command cut
// short), "escpos_text_invalid" (a byte pair that is not GB18030), "iconv_unavailable".
Result<std::vector<PrintItem>> decode_escpos(std::string_view bytes);

}  // namespace pma::printer::preview
