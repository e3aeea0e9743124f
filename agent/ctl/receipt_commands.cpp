// memberctl receipt preview: the member block (a demo receipt, a PrintRequest JSON or raw
// ESC/POS bytes) rendered by the same code memberd prints with, decoded back from its bytes and
// drawn as the printer would print it.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <variant>

#include "agent/api/json.h"
#include "agent/ctl/commands.h"
#include "agent/printing/receipt_block.h"
#include "drivers/printer/preview/receipt_preview.h"

namespace pma::ctl {

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("preview_input_unreadable", fmt::format("cannot open {}", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int cmd_receipt_preview(const ReceiptPreviewOptions& options) {
  std::string bytes;
  printer::Paper paper = printer::Paper::mm58;
  if (!options.width.empty()) {
    auto parsed = printer::parse_paper(options.width);
    if (!parsed) return report_error(parsed.error());
    paper = *parsed;
  }
  if (!options.escpos_file.empty()) {
    auto raw = read_file(options.escpos_file);
    if (!raw) return report_error(raw.error());
    bytes = std::move(*raw);
  } else {
    v1::PrintReceiptRequest request;
    if (!options.job_file.empty()) {
      auto body = read_file(options.job_file);
      if (!body) return report_error(body.error());
      if (auto ok = api::parse_json(*body, request); !ok) return report_error(ok.error());
      if (options.width.empty()) paper = printing::paper_for(request.paper(), paper);
    } else {
      *request.mutable_receipt() = printing::demo_member_receipt();
    }
    // The bytes POST /v1/print queues for this request.
    auto job = printing::render_receipt_escpos(request.receipt(), paper, /*standalone=*/true,
                                               request.open_drawer());
    if (!job) return report_error(job.error());
    bytes = std::move(*job);
  }
  auto preview = printer::preview::preview_escpos(bytes, paper, options.font);
  if (!preview) return report_error(preview.error());
  if (auto ok = printer::preview::write_png(preview->picture, options.png); !ok) {
    return report_error(ok.error());
  }
  for (const auto& line : preview->lines) std::cout << "| " << line.text << "\n";
  for (const auto& symbol : preview->symbols) {
    std::cout << fmt::format("[QR {}x{} modules at {} dots: {}]\n", symbol.matrix.size,
                             symbol.matrix.size, symbol.module_size, symbol.payload);
  }
  std::cerr << fmt::format(
      "memberctl: wrote {} ({} x {} dots, {} mm paper, {} bytes of ESC/POS{}{})\n", options.png,
      preview->picture.width, preview->picture.height, paper == printer::Paper::mm58 ? 58 : 80,
      bytes.size(), preview->cuts.empty() ? ", no cut" : ", cut",
      preview->opens_drawer ? ", opens the drawer" : "");
  return 0;
}

}  // namespace pma::ctl
