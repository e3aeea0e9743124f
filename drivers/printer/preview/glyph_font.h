// GlyphFont: one outline font (through FreeType) that draws the receipt preview's characters
// into printer-font cells. Not thread-safe: one font per thread (it owns a FreeType library).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pma/error.h"

namespace pma::printer::preview {

// Where Debian's fonts-wqy-microhei puts its font (face 1 is the monospaced "Micro Hei Mono").
inline constexpr const char* kDefaultFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

// A glyph as coverage: rows x width bytes, 0 (paper) .. 255 (full ink).
struct GlyphBitmap {
  int width = 0;
  int rows = 0;
  int left = 0;  // from the pen position to the bitmap's left edge
  int top = 0;   // from the baseline up to the bitmap's top row
  std::vector<std::uint8_t> coverage;
};

class GlyphFont {
 public:
  // Opens `path` (its monospaced face when the collection has one). Errors: "font_unavailable"
  // naming the file and FreeType's error number.
  static Result<GlyphFont> open(const std::string& path);
  ~GlyphFont();
  GlyphFont(GlyphFont&& other) noexcept;
  GlyphFont& operator=(GlyphFont&& other) noexcept;
  GlyphFont(const GlyphFont&) = delete;
  GlyphFont& operator=(const GlyphFont&) = delete;

  // The glyph of `code_point` for an em of em_width x em_height pixels; an empty bitmap when the
  // font has no outline for it (a space). Errors: "font_render" naming the code point.
  Result<GlyphBitmap> render(char32_t code_point, int em_width, int em_height);
  // The baseline's distance from the top of a cell `cell_height` pixels high, so that the
  // font's ascender and descender both fit in the cell.
  int baseline_in(int cell_height) const;

 private:
  GlyphFont(void* library, void* face) : library_(library), face_(face) {}
  void* library_ = nullptr;  // FT_Library
  void* face_ = nullptr;     // FT_Face
};

}  // namespace pma::printer::preview
