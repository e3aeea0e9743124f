// memberctl receipt preview: the pictures of a 58 mm and an 80 mm Chinese member receipt, drawn
// from the ESC/POS bytes, checked against the decoded receipt (ink exactly on the text lines'
// rows and columns, the QR symbol readable by zbar and module for module libqrencode's).
#include "drivers/printer/preview/receipt_preview.h"

#include <png.h>
#include <zbar.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "agent/printing/receipt_block.h"
#include "tests/support/temp_dir.h"

using namespace pma;
using namespace pma::printer::preview;
using printer::Paper;

namespace {

std::filesystem::path build_dir() {
  const char* dir = std::getenv("PMA_BUILD_DIR");
  return dir != nullptr ? dir : PMA_BINARY_DIR;
}

std::filesystem::path output_dir() {
  auto dir = build_dir() / "test-output" / "printer";
  std::filesystem::create_directories(dir);
  return dir;
}

// The PNG as memberctl wrote it, read back independently of the writer.
Picture read_png(const std::filesystem::path& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, path.c_str()) != 0);
  image.format = PNG_FORMAT_GRAY;
  std::vector<png_byte> grey(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, grey.data(), 0, nullptr) != 0);
  Picture p{.width = static_cast<int>(image.width), .height = static_cast<int>(image.height)};
  p.ink.resize(grey.size());
  for (std::size_t i = 0; i < grey.size(); ++i) p.ink[i] = grey[i] < 128;
  return p;
}

bool row_has_ink(const Picture& p, int y, int from = 0, int to = -1) {
  if (to < 0) to = p.width;
  for (int x = from; x < to; ++x) {
    if (p.at(x, y)) return true;
  }
  return false;
}

bool inside_symbol(const Preview& preview, int y) {
  for (const PlacedQr& q : preview.symbols) {
    if (y >= q.top && y < q.top + q.matrix.size * q.module_size) return true;
  }
  return false;
}

// Runs of rows with ink, outside the QR symbols: [first, last].
std::vector<std::pair<int, int>> ink_bands(const Picture& p, const Preview& layout) {
  std::vector<std::pair<int, int>> bands;
  bool open = false;
  for (int y = 0; y < p.height; ++y) {
    bool ink = !inside_symbol(layout, y) && row_has_ink(p, y);
    if (ink && !open) bands.push_back({y, y});
    if (ink) bands.back().second = y;
    open = ink;
  }
  return bands;
}

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::size_t first = s.find_first_not_of(' ');
  return first == std::string::npos ? "" : s.substr(first);
}

std::string zbar_read(const Picture& p, const PlacedQr& q) {
  // The symbol with a quiet zone of four modules, as a scanner needs.
  const int margin = 4 * q.module_size;
  const int side = q.matrix.size * q.module_size + 2 * margin;
  std::vector<unsigned char> grey(static_cast<std::size_t>(side * side), 255);
  for (int y = 0; y < side - 2 * margin; ++y) {
    for (int x = 0; x < side - 2 * margin; ++x) {
      if (p.at(q.left + x, q.top + y)) {
        grey[static_cast<std::size_t>((y + margin) * side + x + margin)] = 0;
      }
    }
  }
  zbar::ImageScanner scanner;
  scanner.set_config(zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  scanner.set_config(zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  zbar::Image image(static_cast<unsigned>(side), static_cast<unsigned>(side), "Y800", grey.data(),
                    grey.size());
  if (scanner.scan(image) <= 0) return "";
  return image.symbol_begin()->get_data();
}

}  // namespace

TEST_CASE(
    "memberctl receipt preview draws a Chinese member receipt with ink exactly on the "
    "decoded text lines and a QR that scans",
    "[printer][preview]") {
  auto [paper, width, name] = GENERATE(std::tuple{Paper::mm58, "58", "receipt-58mm.png"},
                                       std::tuple{Paper::mm80, "80", "receipt-80mm.png"});
  CAPTURE(width);
  const auto png = output_dir() / name;
  std::filesystem::remove(png);
  test::TempDir dir;
  std::string command = std::string(PMA_MEMBERCTL) + " receipt preview --width " + width +
                        " --png " + png.string() + " > " + dir.file("preview.txt");
  REQUIRE(std::system(command.c_str()) == 0);
  std::cout << "receipt preview: " << png.string() << "\n";

  // The bytes memberd queues for the demo receipt, decoded and laid out: where each line went.
  const v1::MemberReceipt receipt = printing::demo_member_receipt();
  auto bytes = printing::render_receipt_escpos(receipt, paper);
  REQUIRE(bytes);
  auto layout = preview_escpos(*bytes, paper);
  REQUIRE(layout);
  const Picture picture = read_png(png);
  REQUIRE(picture.width == dots_for(paper));
  REQUIRE(picture.height == layout->picture.height);

  SECTION("the decoded text is the receipt's text, line for line") {
    auto lines = printing::render_receipt_lines(receipt, paper);
    REQUIRE(lines);
    // The double-size store name wraps at half the columns; the rest is the same text.
    std::vector<std::string> decoded;
    for (const PlacedLine& line : layout->lines) decoded.push_back(trim(line.text));
    std::vector<std::string> expected;
    for (const std::string& line : *lines) expected.push_back(trim(line));
    auto from_printed = std::find(decoded.begin(), decoded.end(), "会员信息 MEMBER");
    auto from_expected = std::find(expected.begin(), expected.end(), "会员信息 MEMBER");
    REQUIRE(from_printed != decoded.end());
    REQUIRE(from_expected != expected.end());
    CHECK(std::vector(from_printed, decoded.end()) == std::vector(from_expected, expected.end()));
    CHECK_THAT(decoded.front() + (decoded.size() > 1 ? decoded[1] : ""), Catch::Contains("鲜果茶"));
  }

  SECTION("every band of ink rows is one non-blank decoded line, inside its cells") {
    std::vector<const PlacedLine*> inked;
    for (const PlacedLine& line : layout->lines) {
      if (!line.blank()) inked.push_back(&line);
    }
    auto bands = ink_bands(picture, *layout);
    REQUIRE(bands.size() == inked.size());
    for (std::size_t i = 0; i < bands.size(); ++i) {
      const PlacedLine& line = *inked[i];
      INFO("line " << i << ": " << line.text);
      CHECK(bands[i].first >= line.top);
      CHECK(bands[i].second < line.top + line.height);
      // No ink left or right of the line's cells: alignment is the printer's.
      for (int y = bands[i].first; y <= bands[i].second; ++y) {
        CHECK_FALSE(row_has_ink(picture, y, 0, line.left));
        CHECK_FALSE(row_has_ink(picture, y, line.left + line.width + 1));
      }
    }
  }

  SECTION("the QR symbol is libqrencode's for the member's QR, and zbar reads it") {
    REQUIRE(layout->symbols.size() == 1);
    const PlacedQr& q = layout->symbols[0];
    CHECK(q.payload == receipt.member_qr());
    CHECK(q.left == (dots_for(paper) - q.matrix.size * q.module_size) / 2);  // centred
    auto expected = encode_qr(receipt.member_qr(), printer::QrErrorCorrection::medium);
    REQUIRE(expected);
    REQUIRE(q.matrix.size == expected->size);
    int wrong = 0;
    for (int my = 0; my < expected->size; ++my) {
      for (int mx = 0; mx < expected->size; ++mx) {
        int cx = q.left + mx * q.module_size + q.module_size / 2;
        int cy = q.top + my * q.module_size + q.module_size / 2;
        if (picture.at(cx, cy) != expected->at(mx, my)) ++wrong;
      }
    }
    CHECK(wrong == 0);
    CHECK(zbar_read(picture, q) == receipt.member_qr());
  }
}

TEST_CASE("The preview decoder gives back lines, styles, the QR and the cut the encoder sent",
          "[printer][preview]") {
  auto encoder = printer::EscPosEncoder::create(32);
  REQUIRE(encoder);
  encoder->initialize().align(printer::Align::center).bold(true).size(2, 2).line("会员 VIP");
  encoder->size(1, 1).bold(false).align(printer::Align::right).line("积分 12,345");
  encoder->qr("M1", {.module_size = 4, .error_correction = printer::QrErrorCorrection::high});
  encoder->feed(2).cut(printer::CutMode::full, 40).drawer_pulse();
  auto bytes = std::move(*encoder).finish();
  REQUIRE(bytes);
  auto items = decode_escpos(*bytes);
  REQUIRE(items);
  REQUIRE(items->size() == 6);
  const auto& title = std::get<TextLine>((*items)[0]);
  CHECK(title.text() == "会员 VIP");
  CHECK(title.align == printer::Align::center);
  CHECK(title.runs.at(0).bold);
  CHECK(title.runs.at(0).width == 2);
  CHECK(title.runs.at(0).height == 2);
  const auto& points = std::get<TextLine>((*items)[1]);
  CHECK(points.text() == "积分 12,345");
  CHECK(points.align == printer::Align::right);
  CHECK_FALSE(points.runs.at(0).bold);
  const auto& qr = std::get<QrSymbol>((*items)[2]);
  CHECK(qr.payload == "M1");
  CHECK(qr.module_size == 4);
  CHECK(qr.error_correction == printer::QrErrorCorrection::high);
  CHECK(std::get<Feed>((*items)[3]).lines == 2);
  CHECK_FALSE(std::get<Cut>((*items)[4]).partial);
  CHECK(std::get<Cut>((*items)[4]).feed_units == 40);
  CHECK(std::holds_alternative<DrawerPulse>((*items)[5]));
}

TEST_CASE("The preview refuses bytes the encoder never sends, naming them and their offset",
          "[printer][preview]") {
  SECTION("an unknown command") {
    auto items = decode_escpos(std::string("\x1b@AB\x1b!\x08", 7));
    REQUIRE_FALSE(items);
    CHECK(items.error().code == "escpos_unsupported");
    CHECK_THAT(items.error().message, Catch::Contains("1B 21") && Catch::Contains("offset 4"));
  }
  SECTION("a high byte outside Chinese mode") {
    auto items = decode_escpos("\xc4\xe3");
    REQUIRE_FALSE(items);
    CHECK(items.error().code == "escpos_unsupported");
    CHECK_THAT(items.error().message, Catch::Contains("C4") && Catch::Contains("offset 0"));
  }
  SECTION("a QR command cut short") {
    auto items = decode_escpos(std::string("\x1d(k\x10\x00\x31P0abc", 11));
    REQUIRE_FALSE(items);
    CHECK(items.error().code == "escpos_truncated");
    CHECK_THAT(items.error().message, Catch::Contains("GS ( k") && Catch::Contains("offset 0"));
  }
  SECTION("a barcode, which the member block never prints") {
    auto encoder = printer::EscPosEncoder::create(32);
    REQUIRE(encoder);
    encoder->code128("123");
    auto items = decode_escpos(encoder->bytes());
    REQUIRE_FALSE(items);
    CHECK(items.error().code == "escpos_unsupported");
    CHECK_THAT(items.error().message, Catch::Contains("1D 68"));
  }
}
