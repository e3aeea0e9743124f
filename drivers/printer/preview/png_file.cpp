// The only file that includes libpng.
#include "drivers/printer/preview/png_file.h"

#include <fmt/format.h>
#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace pma::printer::preview {

Status write_png(const Picture& picture, const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) {
    return fail("png_write", fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return fail("png_write", fmt::format("{}: libpng could not start", path));
  }
  // Packed rows outlive the setjmp below; built before it.
  const std::size_t stride = (static_cast<std::size_t>(picture.width) + 7) / 8;
  std::vector<png_byte> rows(stride * static_cast<std::size_t>(picture.height), 0xFF);
  for (int y = 0; y < picture.height; ++y) {
    for (int x = 0; x < picture.width; ++x) {
      if (picture.at(x, y)) {
        rows[static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x / 8)] &=
            static_cast<png_byte>(~(0x80 >> (x % 8)));  // grey 0 = ink, 1 = paper
      }
    }
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return fail("png_write", fmt::format("{}: libpng failed while writing", path));
  }
  png_init_io(png, file.get());
  png_set_IHDR(png, info, static_cast<png_uint_32>(picture.width),
               static_cast<png_uint_32>(picture.height), 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  for (int y = 0; y < picture.height; ++y) {
    png_write_row(png, rows.data() + static_cast<std::size_t>(y) * stride);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fflush(file.get()) != 0) {
    return fail("png_write", fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return {};
}

}  // namespace pma::printer::preview
