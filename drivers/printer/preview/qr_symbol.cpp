// The only file that includes libqrencode.
#include "drivers/printer/preview/qr_symbol.h"

#include <fmt/format.h>
#include <qrencode.h>

#include <memory>

namespace pma::printer::preview {

Result<QrMatrix> encode_qr(std::string_view payload, QrErrorCorrection level) {
  QRecLevel qr_level = QR_ECLEVEL_L;
  switch (level) {
    case QrErrorCorrection::low:
      qr_level = QR_ECLEVEL_L;
      break;
    case QrErrorCorrection::medium:
      qr_level = QR_ECLEVEL_M;
      break;
    case QrErrorCorrection::quartile:
      qr_level = QR_ECLEVEL_Q;
      break;
    case QrErrorCorrection::high:
      qr_level = QR_ECLEVEL_H;
      break;
  }
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(payload.size()),
                        reinterpret_cast<const unsigned char*>(payload.data()), 0, qr_level),
      &QRcode_free);
  if (!code) {
    return fail("qr_payload_size",
                fmt::format("a QR payload of {} bytes does not fit a symbol", payload.size()));
  }
  QrMatrix matrix{.size = code->width};
  matrix.dark.resize(static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width));
  for (std::size_t i = 0; i < matrix.dark.size(); ++i) matrix.dark[i] = (code->data[i] & 1) != 0;
  return matrix;
}

}  // namespace pma::printer::preview
