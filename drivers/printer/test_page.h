// The printer test page (`memberctl printer test`): Chinese text, column rulers, styles, a QR
// code and a CODE128 barcode, so one glance shows the printer, paper width and GBK font work.
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "drivers/printer/layout.h"
#include "pma/error.h"

namespace pma::printer {

// A whole job (ESC @ ... cut). `printer_name` and `when` (e.g. "2026-11-25 17:40") are printed.
// Errors: "iconv_unavailable".
Result<std::string> test_page(Paper paper, std::string_view printer_name, std::string_view when);

}  // namespace pma::printer
