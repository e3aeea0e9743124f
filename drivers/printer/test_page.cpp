#include "drivers/printer/test_page.h"

#include "drivers/printer/escpos.h"

namespace pma::printer {

Result<std::string> test_page(Paper paper, std::string_view printer_name, std::string_view when) {
  const std::size_t columns = columns_for(paper);
  PMA_TRY_ASSIGN(auto created, EscPosEncoder::create(columns));
  EscPosEncoder& e = created;
  std::string ruler;
  for (std::size_t i = 1; i <= columns; ++i) ruler += static_cast<char>('0' + i % 10);
  e.initialize().align(Align::center).bold(true).size(2, 2).line("打印测试").size(1, 1);
  e.line("PRINTER TEST").bold(false).align(Align::left).rule('=');
  e.row("打印机 Printer", printer_name).row("时间 Time", when);
  e.row("纸宽 Paper", paper == Paper::mm58 ? "58mm / 32" : "80mm / 48");
  e.line(ruler);
  std::string wide;
  for (std::size_t i = 0; i < columns / 2; ++i) wide += "中";
  e.line(wide);
  e.line("积分 ￥¥ 满100减20—欢迎！");
  e.bold(true).line("粗体 Bold").bold(false);
  e.size(2, 1).line("倍宽 Wide").size(1, 1);
  e.align(Align::center).qr("PMA PRINTER TEST").code128("PMA-TEST-128");
  e.align(Align::left).rule('=').cut();
  return std::move(e).finish();
}

}  // namespace pma::printer
