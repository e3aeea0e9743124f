// Writes a receipt picture as a 1-bit greyscale PNG (through libpng). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pma/error.h"

namespace pma::printer::preview {

// One dot per pixel, row by row; true is ink (black).
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<bool> ink;
  bool at(int x, int y) const {
    return ink[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
               static_cast<std::size_t>(x)];
  }
  void set(int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    ink[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
        static_cast<std::size_t>(x)] = true;
  }
};

// Errors: "png_write" naming the file and the failing step (open, libpng).
Status write_png(const Picture& picture, const std::string& path);

}  // namespace pma::printer::preview
