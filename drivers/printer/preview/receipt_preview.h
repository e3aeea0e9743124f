// The receipt preview: a decoded ESC/POS job laid out as a thermal printer prints it (384 dots
// across 58 mm paper, 576 across 80 mm; 12x24-dot characters, 24x24 for Chinese, on 30-dot
// lines; the QR symbol at its module size), drawn through a CJK outline font, with where each
// line and symbol landed so tests can check the picture. Not thread-safe (one font per call).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "drivers/printer/layout.h"
#include "drivers/printer/preview/escpos_decoder.h"
#include "drivers/printer/preview/glyph_font.h"
#include "drivers/printer/preview/png_file.h"
#include "drivers/printer/preview/qr_symbol.h"
#include "pma/error.h"

namespace pma::printer::preview {

// Printable dots across the paper: 384 (58 mm) or 576 (80 mm) at 203 dpi.
constexpr int dots_for(Paper paper) { return paper == Paper::mm58 ? 384 : 576; }

// A printed text line: rows [top, top + height) hold its characters' cells.
struct PlacedLine {
  int top = 0;
  int height = 0;
  int left = 0;   // first dot of its first cell
  int width = 0;  // dots its cells cover
  std::string text;
  bool blank() const;  // nothing but spaces: no ink expected
};

struct PlacedQr {
  int left = 0;
  int top = 0;
  int module_size = 0;
  QrMatrix matrix;
  std::string payload;
};

struct Preview {
  Picture picture;
  std::vector<PlacedLine> lines;
  std::vector<PlacedQr> symbols;
  std::vector<int> cuts;  // rows where the knife cuts
  bool opens_drawer = false;
};

// Lays out and draws `items` on `paper`. A line wider than the paper continues on the next
// line, as printers wrap. Errors: "font_unavailable", "font_render", "qr_payload_size",
// "escpos_unsupported" (a QR symbol wider than the paper).
Result<Preview> render_preview(const std::vector<PrintItem>& items, Paper paper,
                               const std::string& font_path = kDefaultFontPath);

// decode_escpos() then render_preview().
Result<Preview> preview_escpos(std::string_view bytes, Paper paper,
                               const std::string& font_path = kDefaultFontPath);

}  // namespace pma::printer::preview
