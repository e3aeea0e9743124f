// The only file that includes FreeType.
#include "drivers/printer/preview/glyph_font.h"

#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <utility>

namespace pma::printer::preview {

Result<GlyphFont> GlyphFont::open(const std::string& path) {
  FT_Library library = nullptr;
  if (FT_Error e = FT_Init_FreeType(&library); e != 0) {
    return fail("font_unavailable", fmt::format("FreeType did not start (error {})", e));
  }
  FT_Face face = nullptr;
  if (FT_Error e = FT_New_Face(library, path.c_str(), 0, &face); e != 0) {
    FT_Done_FreeType(library);
    return fail("font_unavailable",
                fmt::format("cannot open font {} (FreeType error {}): install fonts-wqy-microhei "
                            "or pass --font",
                            path, e));
  }
  if (face->num_faces > 1) {
    // A printer's font is fixed pitch: the collection's monospaced face is the closer match.
    FT_Face mono = nullptr;
    if (FT_New_Face(library, path.c_str(), 1, &mono) == 0) {
      FT_Done_Face(face);
      face = mono;
    }
  }
  return GlyphFont(library, face);
}

GlyphFont::~GlyphFont() {
  if (face_ != nullptr) FT_Done_Face(static_cast<FT_Face>(face_));
  if (library_ != nullptr) FT_Done_FreeType(static_cast<FT_Library>(library_));
}

GlyphFont::GlyphFont(GlyphFont&& other) noexcept
    : library_(std::exchange(other.library_, nullptr)),
      face_(std::exchange(other.face_, nullptr)) {}

GlyphFont& GlyphFont::operator=(GlyphFont&& other) noexcept {
  std::swap(library_, other.library_);
  std::swap(face_, other.face_);
  return *this;
}

Result<GlyphBitmap> GlyphFont::render(char32_t code_point, int em_width, int em_height) {
  auto face = static_cast<FT_Face>(face_);
  if (FT_Error e =
          FT_Set_Pixel_Sizes(face, static_cast<FT_UInt>(em_width), static_cast<FT_UInt>(em_height));
      e != 0) {
    return fail("font_render",
                fmt::format("font size {}x{}: FreeType error {}", em_width, em_height, e));
  }
  FT_UInt index = FT_Get_Char_Index(face, code_point);
  if (FT_Error e = FT_Load_Glyph(face, index, FT_LOAD_RENDER); e != 0) {
    return fail("font_render",
                fmt::format("U+{:04X}: FreeType error {}", static_cast<unsigned>(code_point), e));
  }
  const FT_Bitmap& bitmap = face->glyph->bitmap;
  GlyphBitmap out{.width = static_cast<int>(bitmap.width),
                  .rows = static_cast<int>(bitmap.rows),
                  .left = face->glyph->bitmap_left,
                  .top = face->glyph->bitmap_top};
  out.coverage.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.rows));
  for (int y = 0; y < out.rows; ++y) {
    const unsigned char* row = bitmap.buffer + y * bitmap.pitch;
    for (int x = 0; x < out.width; ++x) {
      std::uint8_t value = bitmap.pixel_mode == FT_PIXEL_MODE_MONO
                               ? ((row[x / 8] >> (7 - x % 8)) & 1) * 255
                               : row[x];
      out.coverage[static_cast<std::size_t>(y * out.width + x)] = value;
    }
  }
  return out;
}

int GlyphFont::baseline_in(int cell_height) const {
  auto face = static_cast<FT_Face>(face_);
  long ascender = face->ascender;
  long descender = face->descender < 0 ? -face->descender : face->descender;
  if (ascender + descender <= 0) return cell_height * 4 / 5;
  return static_cast<int>(cell_height * ascender / (ascender + descender));
}

}  // namespace pma::printer::preview
