#include "drivers/printer/preview/receipt_preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "drivers/printer/preview/glyph_font.h"

namespace pma::printer::preview {

namespace {

constexpr int kCellHeight = 24;  // font A: 12x24 dots, Chinese 24x24
constexpr int kHalfWidth = 12;
constexpr int kLineGap = 6;  // default line spacing: 30 dots per line of normal size
constexpr int kInkThreshold = 110;

// One character to place: its code point, its cell's width in dots and its run's style.
struct Cell {
  char32_t code_point;
  int width;
  const TextRun* run;
};

class Painter {
 public:
  Painter(GlyphFont& font, int dots) : font_(font), dots_(dots) {}

  Status text_line(const TextLine& line) {
    std::vector<Cell> cells;
    for (const TextRun& run : line.runs) {
      for (char32_t c : decode_utf8(run.text)) {
        int columns = c < 0x80 ? 1 : 2;
        cells.push_back({c, columns * kHalfWidth * run.width, &run});
      }
    }
    // Split where the paper ends, as the printer wraps.
    std::size_t begin = 0;
    do {
      int width = 0;
      std::size_t end = begin;
      while (end < cells.size() && width + cells[end].width <= dots_) width += cells[end++].width;
      if (end == begin && end < cells.size()) width += cells[end++].width;  // wider than paper
      if (auto ok = physical_line(line, cells, begin, end, width); !ok) return ok;
      begin = end;
    } while (begin < cells.size());
    return {};
  }

  Status qr(const QrSymbol& symbol) {
    PMA_TRY_ASSIGN(auto matrix, encode_qr(symbol.payload, symbol.error_correction));
    int side = matrix.size * symbol.module_size;
    if (side > dots_) {
      return fail("escpos_unsupported",
                  fmt::format("a QR symbol of {} modules at {} dots per module is {} dots wide, "
                              "the paper {}",
                              matrix.size, symbol.module_size, side, dots_));
    }
    PlacedQr placed{.left = x_for(symbol.align, side),
                    .top = y_,
                    .module_size = symbol.module_size,
                    .matrix = std::move(matrix),
                    .payload = symbol.payload};
    y_ += side;
    ink_.push_back([placed](Picture& p) {
      for (int my = 0; my < placed.matrix.size; ++my) {
        for (int mx = 0; mx < placed.matrix.size; ++mx) {
          if (!placed.matrix.at(mx, my)) continue;
          for (int dy = 0; dy < placed.module_size; ++dy) {
            for (int dx = 0; dx < placed.module_size; ++dx) {
              p.set(placed.left + mx * placed.module_size + dx,
                    placed.top + my * placed.module_size + dy);
            }
          }
        }
      }
    });
    out_.symbols.push_back(std::move(placed));
    return {};
  }

  void feed(int dots) { y_ += dots; }

  void cut(const Cut& cut) {
    y_ += cut.feed_units;
    out_.cuts.push_back(y_);
  }

  void drawer() { out_.opens_drawer = true; }

  Result<Preview> finish() {
    out_.picture = Picture{.width = dots_, .height = std::max(y_, 1)};
    out_.picture.ink.assign(static_cast<std::size_t>(out_.picture.width) *
                                static_cast<std::size_t>(out_.picture.height),
                            false);
    for (const auto& draw : ink_) draw(out_.picture);
    for (const Glyph& g : glyphs_) {
      PMA_TRY(draw_glyph(g));
    }
    return std::move(out_);
  }

 private:
  // A character's cell on the picture; drawn once the picture's height is known.
  struct Glyph {
    char32_t code_point;
    int left, top, width, height;
    int em_width, em_height;
    bool bold;
  };

  int x_for(Align align, int width) const {
    if (width >= dots_ || align == Align::left) return 0;
    return align == Align::center ? (dots_ - width) / 2 : dots_ - width;
  }

  Status physical_line(const TextLine& line, const std::vector<Cell>& cells, std::size_t begin,
                       std::size_t end, int width) {
    int height = 1;
    for (std::size_t i = begin; i < end; ++i) height = std::max(height, cells[i].run->height);
    int cell_height = kCellHeight * height;
    int x = x_for(line.align, width);
    PlacedLine placed{.top = y_, .height = cell_height, .left = x, .width = width};
    for (std::size_t i = begin; i < end; ++i) {
      const Cell& c = cells[i];
      append_utf8(placed.text, c.code_point);
      // Characters of a line share its baseline: a shorter run sits on the bottom of the cell.
      int own_height = kCellHeight * c.run->height;
      glyphs_.push_back(Glyph{.code_point = c.code_point,
                              .left = x,
                              .top = y_ + cell_height - own_height,
                              .width = c.width,
                              .height = own_height,
                              .em_width = kCellHeight * c.run->width,
                              .em_height = own_height,
                              .bold = c.run->bold});
      x += c.width;
    }
    out_.lines.push_back(std::move(placed));
    y_ += cell_height + kLineGap;
    return {};
  }

  // Draws a glyph centred in its cell and clipped to it (a printer's font never leaves its
  // cell, so the 6-dot gap between lines stays blank); bold is struck twice, one dot apart.
  Status draw_glyph(const Glyph& g) {
    if (g.code_point == U' ') return {};
    PMA_TRY_ASSIGN(auto bitmap, font_.render(g.code_point, g.em_width, g.em_height));
    int baseline = g.top + font_.baseline_in(g.height);
    int x0 = g.left + (g.width - bitmap.width) / 2;
    int y0 = baseline - bitmap.top;
    for (int strike = 0; strike < (g.bold ? 2 : 1); ++strike) {
      for (int y = 0; y < bitmap.rows; ++y) {
        int py = y0 + y;
        if (py < g.top || py >= g.top + g.height) continue;
        for (int x = 0; x < bitmap.width; ++x) {
          int px = x0 + x + strike;
          if (px < g.left || px >= g.left + g.width) continue;
          if (bitmap.coverage[static_cast<std::size_t>(y * bitmap.width + x)] >= kInkThreshold) {
            out_.picture.set(px, py);
          }
        }
      }
    }
    return {};
  }

  GlyphFont& font_;
  int dots_;
  int y_ = 0;
  Preview out_;
  std::vector<Glyph> glyphs_;
  std::vector<std::function<void(Picture&)>> ink_;
};

}  // namespace

bool PlacedLine::blank() const {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; });
}

Result<Preview> render_preview(const std::vector<PrintItem>& items, Paper paper,
                               const std::string& font_path) {
  PMA_TRY_ASSIGN(auto font, GlyphFont::open(font_path));
  Painter painter(font, dots_for(paper));
  for (const PrintItem& item : items) {
    Status ok;
    if (const auto* line = std::get_if<TextLine>(&item)) {
      ok = painter.text_line(*line);
    } else if (const auto* symbol = std::get_if<QrSymbol>(&item)) {
      ok = painter.qr(*symbol);
    } else if (const auto* feed = std::get_if<Feed>(&item)) {
      painter.feed(feed->lines * (kCellHeight + kLineGap));
    } else if (const auto* cut = std::get_if<Cut>(&item)) {
      painter.cut(*cut);
    } else if (std::holds_alternative<DrawerPulse>(item)) {
      painter.drawer();
    }
    if (!ok) return std::unexpected(ok.error());
  }
  return painter.finish();
}

Result<Preview> preview_escpos(std::string_view bytes, Paper paper, const std::string& font_path) {
  PMA_TRY_ASSIGN(auto items, decode_escpos(bytes));
  return render_preview(items, paper, font_path);
}

}  // namespace pma::printer::preview
