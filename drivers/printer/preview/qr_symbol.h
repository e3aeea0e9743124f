// The QR symbol a printer draws for a GS ( k payload, re-encoded through libqrencode (model 2,
// byte mode, smallest version for the payload and level). Thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "drivers/printer/escpos.h"
#include "pma/error.h"

namespace pma::printer::preview {

// A square of modules, row by row; true is a dark module.
struct QrMatrix {
  int size = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y * size + x)]; }
};

// Errors: "qr_payload_size" when the payload does not fit a version-40 symbol at this level.
Result<QrMatrix> encode_qr(std::string_view payload, QrErrorCorrection level);

}  // namespace pma::printer::preview
