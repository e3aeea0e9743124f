// The virtual printer decodes Chinese text with glibc's iconv on its own (not through
// pma_printer), so a round trip through it checks the encoder rather than repeating it.
#include "tests/support/virtual_printer.h"

#include <iconv.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

#include "tests/support/pty_pair.h"

namespace pma::test {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string PrintedReceipt::text() const {
  std::string out;
  for (const PrintedLine& line : lines) out += line.text + "\n";
  return out;
}

EscPosParser::EscPosParser(std::size_t columns) : columns_(columns) {
  iconv_t cd = ::iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv GB18030 missing");
  iconv_ = cd;
}

EscPosParser::~EscPosParser() { ::iconv_close(static_cast<iconv_t>(iconv_)); }

int EscPosParser::cut_receipts_containing(std::string_view needle) const {
  int count = 0;
  for (const PrintedReceipt& r : receipts_) count += r.cut && r.contains(needle) ? 1 : 0;
  return count;
}

void EscPosParser::feed(std::string_view bytes) {
  pending_.append(bytes);
  std::size_t offset = 0;
  while (offset < pending_.size()) {
    std::size_t used = parse_one(std::string_view(pending_).substr(offset));
    if (used == 0) break;
    offset += used;
  }
  pending_.erase(0, offset);
}

void EscPosParser::append_text(std::string_view utf8, std::size_t columns) {
  if (!line_) line_ = PrintedLine{.width = width_, .height = height_, .align = align_};
  line_->text += utf8;
  line_->bold = line_->bold || bold_;
  line_->columns += columns * static_cast<std::size_t>(width_);
}

void EscPosParser::flush_line(bool even_if_empty) {
  if (!line_ && !even_if_empty) return;
  PrintedLine line =
      line_.value_or(PrintedLine{.width = width_, .height = height_, .align = align_});
  if (line.columns > columns_) ++overflowing_lines;
  current_.lines.push_back(std::move(line));
  line_.reset();
}

void EscPosParser::finish_receipt(bool cut) {
  current_.cut = cut;
  receipts_.push_back(std::move(current_));
  current_ = PrintedReceipt{};
}

std::size_t EscPosParser::parse_one(std::string_view d) {
  auto at = [&](std::size_t i) -> std::size_t { return static_cast<unsigned char>(d[i]); };
  const std::size_t size = d.size();
  unsigned char c = at(0);
  if (c == 0x0A) return flush_line(true), 1;
  if (c == 0x1B) {  // ESC
    if (size < 2) return 0;
    switch (d[1]) {
      case '@':
        line_.reset();  // the print buffer is cleared
        bold_ = chinese_ = false, width_ = height_ = 1, align_ = 0;
        ++initializations;
        if (!current_.empty()) finish_receipt(false);
        return 2;
      case '2':
        return 2;
      case 'p':
        if (size < 5) return 0;
        ++drawer_pulses;
        return 5;
      default:
        break;
    }
    if (size < 3) return 0;
    switch (d[1]) {
      case 'a':
        align_ = at(2) % 48;
        return 3;
      case 'E':
        bold_ = at(2) & 1;
        return 3;
      case '!':
        bold_ = at(2) & 0x08, height_ = at(2) & 0x10 ? 2 : 1, width_ = at(2) & 0x20 ? 2 : 1;
        return 3;
      case 'd':
      case 'J':
        flush_line(false);
        return 3;
      case '-':
      case 'G':
      case 'M':
      case 't':
      case 'R':
      case '3':
      case ' ':
      case 'V':
      case '{':
        return 3;
      default:
        break;
    }
    unknown_commands.push_back("ESC " + std::to_string(at(1)));
    return 2;
  }
  if (c == 0x1D) {  // GS
    if (size < 3) return 0;
    switch (d[1]) {
      case '!':
        width_ = (at(2) >> 4) + 1, height_ = (at(2) & 0x0F) + 1;
        return 3;
      case 'h':
      case 'H':
      case 'w':
      case 'f':
      case 'B':
      case 'a':
        return 3;
      case 'L':
      case 'W':
        return size < 4 ? 0 : 4;
      case 'V': {
        unsigned char m = at(2);
        std::size_t length = (m == 0 || m == 1 || m == 48 || m == 49) ? 3 : 4;
        if (size < length) return 0;
        flush_line(false);
        ++cuts;
        finish_receipt(true);
        return length;
      }
      case 'k': {
        unsigned char m = at(2);
        PrintedBarcode barcode{.type = m, .data = {}};
        std::size_t length;
        if (m <= 6) {
          std::size_t end = d.find('\0', 3);
          if (end == std::string_view::npos) return 0;
          barcode.data = std::string(d.substr(3, end - 3));
          length = end + 1;
        } else {
          if (size < 4 || size < 4 + at(3)) return 0;
          std::string_view body = d.substr(4, at(3));
          length = 4 + at(3);
          if (m == 73 && body.size() >= 2 && body[0] == '{') body.remove_prefix(2);
          for (std::size_t i = 0; i < body.size(); ++i) {
            barcode.data += body[i];
            if (m == 73 && body[i] == '{' && i + 1 < body.size() && body[i + 1] == '{') ++i;
          }
        }
        flush_line(false);
        current_.barcodes.push_back(std::move(barcode));
        return length;
      }
      case '(': {
        if (size < 5) return 0;
        std::size_t params = at(3) | (at(4) << 8);
        if (size < 5 + params) return 0;
        if (d[2] != 'k' || params < 2 || at(5) != 49) {
          unknown_commands.push_back("GS ( " + std::to_string(at(2)));
          return 5 + params;
        }
        unsigned char fn = at(6);
        if (fn == 65 && params >= 3) qr_settings_.model = at(7);
        if (fn == 67 && params >= 3) qr_settings_.module_size = at(7);
        if (fn == 69 && params >= 3) qr_settings_.error_correction = "LMQH"[at(7) % 4];
        if (fn == 80 && params >= 3) qr_stored_ = std::string(d.substr(8, params - 3));
        if (fn == 81) {
          flush_line(false);
          PrintedQr qr = qr_settings_;
          qr.payload = qr_stored_;
          current_.qr_codes.push_back(std::move(qr));
        }
        return 5 + params;
      }
      default:
        break;
    }
    unknown_commands.push_back("GS " + std::to_string(at(1)));
    return 2;
  }
  if (c == 0x1C) {  // FS
    if (size < 2) return 0;
    if (d[1] == '&') return chinese_ = true, 2;
    if (d[1] == '.') return chinese_ = false, 2;
    if (d[1] == '!' || d[1] == 'C' || d[1] == 'W') return size < 3 ? 0 : 3;
    unknown_commands.push_back("FS " + std::to_string(at(1)));
    return 2;
  }
  if (c == 0x10) {  // DLE: real-time commands reaching the parser are ignored, as printers do
    if (size < 3) return 0;
    return 3;
  }
  if (c < 0x20 || c == 0x7F) return 1;
  if (c < 0x80) return append_text(d.substr(0, 1), 1), 1;
  if (!chinese_) {
    ++raw_high_bytes;
    append_text("\xEF\xBF\xBD", 1);
    return 1;
  }
  if (size < 2) return 0;
  std::size_t length = 2;
  if (at(1) >= 0x30 && at(1) <= 0x39) {  // a four-byte GB18030 sequence
    if (size < 4) return 0;
    length = 4;
    ++four_byte_sequences;
  }
  std::string in(d.substr(0, length));
  std::array<char, 16> out{};
  char* in_ptr = in.data();
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  auto cd = static_cast<iconv_t>(iconv_);
  ::iconv(cd, nullptr, nullptr, nullptr, nullptr);
  if (::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) == static_cast<std::size_t>(-1)) {
    append_text("\xEF\xBF\xBD", 2);
  } else {
    append_text(std::string_view(out.data(), static_cast<std::size_t>(out_ptr - out.data())), 2);
  }
  return length;
}

// One connection: a TCP socket or the pty's controller side.
struct VirtualPrinter::Link {
  std::optional<tcp::socket> socket;
  std::optional<asio::posix::stream_descriptor> pty;
  std::array<char, 4096> buffer{};
  std::string realtime;  // a DLE EOT prefix split across reads
  bool open = true;
};

VirtualPrinter::VirtualPrinter(asio::io_context& io, std::size_t columns)
    : io_(io), parser_(columns) {}

VirtualPrinter::~VirtualPrinter() {
  stop_listening();
  for (auto& link : links_) close_link(*link);
}

std::uint16_t VirtualPrinter::listen_tcp(std::uint16_t port) {
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen();
  start_accept();
  return acceptor_->local_endpoint().port();
}

void VirtualPrinter::stop_listening() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  for (auto& link : links_) {
    if (link->socket) close_link(*link);
  }
}

std::string VirtualPrinter::serve_pty() {
  pty_ = std::make_unique<PtyPair>();
  auto link = std::make_shared<Link>();
  link->pty.emplace(io_, ::dup(pty_->controller_fd()));
  links_.push_back(link);
  start_read(link);
  return pty_->device_path();
}

void VirtualPrinter::start_accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed
    ++accepted_;
    auto link = std::make_shared<Link>();
    link->socket.emplace(std::move(socket));
    links_.push_back(link);
    start_read(link);
    if (acceptor_) start_accept();
  });
}

void VirtualPrinter::start_read(std::shared_ptr<Link> link) {
  auto on_read = [this, link](boost::system::error_code ec, std::size_t n) {
    if (!link->open) return;
    if (ec) return close_link(*link);
    receive(link, std::string_view(link->buffer.data(), n));
    if (link->open) start_read(link);
  };
  if (link->socket) {
    link->socket->async_read_some(asio::buffer(link->buffer), on_read);
  } else {
    link->pty->async_read_some(asio::buffer(link->buffer), on_read);
  }
}

bool VirtualPrinter::holding() const {
  return state_ == PrinterState::paper_out || state_ == PrinterState::cover_open ||
         state_ == PrinterState::offline;
}

void VirtualPrinter::receive(const std::shared_ptr<Link>& link, std::string_view bytes) {
  std::string job;
  auto take = [&](char b) {
    (holding() ? held_ : job) += b;
    ++job_bytes_;
    if (paper_after_ && --*paper_after_ == 0) {
      paper_after_.reset();
      parser_.feed(job);
      job.clear();
      state_ = PrinterState::paper_out;
    }
    return drop_after_ && --*drop_after_ == 0;
  };
  bool drop = false;
  for (std::size_t i = 0; i < bytes.size() && !drop; ++i) {
    // Real-time DLE EOT n is executed on receipt, even while the printer is offline.
    std::string& rt = link->realtime;
    rt += bytes[i];
    if (rt == "\x10" || rt == "\x10\x04") continue;
    if (rt.size() == 3 && rt[1] == 0x04 && rt[2] >= 1 && rt[2] <= 4) {
      answer(*link, rt[2]);
      rt.clear();
      continue;
    }
    for (std::size_t k = 0; k < rt.size() && !drop; ++k) drop = take(rt[k]);
    rt.clear();
  }
  parser_.feed(job);
  if (drop) {
    drop_after_.reset();
    ++dropped_;
    close_link(*link);
    parser_.drop_partial();
  }
}

void VirtualPrinter::answer(Link& link, int n) {
  ++status_queries_;
  if (state_ == PrinterState::silent) return;
  unsigned char reply = 0x12;
  bool offline = holding();
  if (n == 1 && offline) reply |= 0x08;
  if (n == 2 && state_ == PrinterState::cover_open) reply |= 0x04;
  if (n == 2 && state_ == PrinterState::paper_out) reply |= 0x20;
  if (n == 4 && state_ == PrinterState::paper_near_end) reply |= 0x0C;
  if (n == 4 && state_ == PrinterState::paper_out) reply |= 0x0C | 0x60;
  char byte = static_cast<char>(reply);
  boost::system::error_code ec;
  if (link.socket) asio::write(*link.socket, asio::buffer(&byte, 1), ec);
  if (link.pty) asio::write(*link.pty, asio::buffer(&byte, 1), ec);
}

void VirtualPrinter::close_link(Link& link) {
  link.open = false;
  boost::system::error_code ignored;
  if (link.socket) link.socket->close(ignored);
  if (link.pty) link.pty->close(ignored);
}

void VirtualPrinter::set_state(PrinterState state) {
  state_ = state;
  if (state == PrinterState::online || state == PrinterState::paper_near_end) {
    std::string held = std::move(held_);
    held_.clear();
    parser_.feed(held);
  }
}

bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace pma::test
