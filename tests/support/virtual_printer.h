// A virtual ESC/POS receipt printer for tests: a real parser of the byte stream (text lines with
// GB18030 decoded back to UTF-8, styles, QR payloads, barcodes, cuts, drawer pulses) served on a
// loopback TCP port and on a pty, answering DLE EOT with a scripted state. It can run out of
// paper (holding job bytes until the test reloads it) and drop a connection mid-job.
// Not thread-safe: lives on the test's io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pma::test {

class PtyPair;

struct PrintedLine {
  std::string text;         // UTF-8
  bool bold = false;        // some character on the line was bold
  int width = 1;            // character width multiplier (GS !) at the line's first character
  int height = 1;           // character height multiplier
  int align = 0;            // ESC a: 0 left, 1 centre, 2 right
  std::size_t columns = 0;  // printed width in normal-font columns
};

struct PrintedQr {
  std::string payload;
  int model = 0;                // 49 (model 1) or 50 (model 2)
  int module_size = 0;          // dots
  char error_correction = '?';  // 'L', 'M', 'Q' or 'H'
};

struct PrintedBarcode {
  int type = 0;  // GS k m (73 = CODE128)
  std::string data;
};

// One receipt: what was printed until a cut (or until ESC @ began another job).
struct PrintedReceipt {
  std::vector<PrintedLine> lines;
  std::vector<PrintedQr> qr_codes;
  std::vector<PrintedBarcode> barcodes;
  bool cut = false;

  std::string text() const;  // lines joined with '\n'
  bool contains(std::string_view needle) const { return text().find(needle) != std::string::npos; }
  bool empty() const { return lines.empty() && qr_codes.empty() && barcodes.empty(); }
};

// The pure parser: ESC/POS bytes in (any split), receipts out.
class EscPosParser {
 public:
  explicit EscPosParser(std::size_t columns = 48);
  ~EscPosParser();
  EscPosParser(const EscPosParser&) = delete;
  EscPosParser& operator=(const EscPosParser&) = delete;

  void feed(std::string_view bytes);
  // Forgets an incomplete command (the connection carrying it dropped).
  void drop_partial() { pending_.clear(); }

  const std::vector<PrintedReceipt>& receipts() const { return receipts_; }
  const PrintedReceipt& current() const { return current_; }
  // Receipts that were cut and contain `needle`.
  int cut_receipts_containing(std::string_view needle) const;

  int cuts = 0;
  int drawer_pulses = 0;
  int initializations = 0;
  std::size_t four_byte_sequences = 0;  // GB18030 four-byte characters (printers print junk)
  std::size_t raw_high_bytes = 0;       // bytes >= 0x80 outside Chinese mode
  std::size_t overflowing_lines = 0;    // lines wider than the paper
  std::vector<std::string> unknown_commands;

 private:
  std::size_t parse_one(std::string_view data);  // bytes consumed, 0 = incomplete
  void append_text(std::string_view utf8, std::size_t columns);
  void flush_line(bool even_if_empty);
  void finish_receipt(bool cut);

  std::size_t columns_;
  void* iconv_ = nullptr;
  std::string pending_;
  PrintedReceipt current_;
  std::vector<PrintedReceipt> receipts_;
  std::optional<PrintedLine> line_;
  bool bold_ = false, chinese_ = false;
  int width_ = 1, height_ = 1, align_ = 0;
  PrintedQr qr_settings_;
  std::string qr_stored_;
};

enum class PrinterState { online, paper_near_end, paper_out, cover_open, offline, silent };

class VirtualPrinter {
 public:
  explicit VirtualPrinter(boost::asio::io_context& io, std::size_t columns = 48);
  ~VirtualPrinter();
  VirtualPrinter(const VirtualPrinter&) = delete;
  VirtualPrinter& operator=(const VirtualPrinter&) = delete;

  // Listens on 127.0.0.1 (port 0: an ephemeral one; or a port used before, to come back after
  // stop_listening) and returns the port.
  std::uint16_t listen_tcp(std::uint16_t port = 0);
  // Closes the listener and every connection (a pulled cable).
  void stop_listening();
  // Opens a pty and serves its controller side; returns the device path to print to.
  std::string serve_pty();

  // paper_out, cover_open and offline hold job bytes unprinted (real-time status queries are
  // still answered); online and paper_near_end print what was held. silent: no status replies.
  void set_state(PrinterState state);
  PrinterState state() const { return state_; }
  // The connection that receives the next `job_bytes` job bytes (status queries excluded) is
  // closed right after them, mid-job.
  void drop_connection_after(std::size_t job_bytes) { drop_after_ = job_bytes; }
  // After the next `job_bytes` job bytes the paper runs out (the rest is held), mid-job.
  void run_out_of_paper_after(std::size_t job_bytes) { paper_after_ = job_bytes; }

  EscPosParser& parser() { return parser_; }
  const std::vector<PrintedReceipt>& receipts() const { return parser_.receipts(); }
  std::size_t held_bytes() const { return held_.size(); }
  std::size_t job_bytes_received() const { return job_bytes_; }
  int status_queries() const { return status_queries_; }
  int connections_accepted() const { return accepted_; }
  int connections_dropped() const { return dropped_; }

 private:
  struct Link;
  void start_accept();
  void start_read(std::shared_ptr<Link> link);
  void receive(const std::shared_ptr<Link>& link, std::string_view bytes);
  void answer(Link& link, int n);
  void close_link(Link& link);
  bool holding() const;

  boost::asio::io_context& io_;
  EscPosParser parser_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<PtyPair> pty_;
  std::vector<std::shared_ptr<Link>> links_;
  PrinterState state_ = PrinterState::online;
  std::string held_;
  std::optional<std::size_t> drop_after_;
  std::optional<std::size_t> paper_after_;
  std::size_t job_bytes_ = 0;
  int status_queries_ = 0, accepted_ = 0, dropped_ = 0;
};

// Runs `io` until `done()` holds or `deadline` passes; returns done(). For waiting on events
// (never for asserting on speed).
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds deadline = std::chrono::seconds(20));

}  // namespace pma::test
