#include "drivers/scanner/tcp_scanner.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>

namespace pma::scanner {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

void add_stats(FramerStats& total, const FramerStats& more) {
  total.scans += more.scans;
  total.duplicates += more.duplicates;
  total.oversize += more.oversize;
  total.control_chars_dropped += more.control_chars_dropped;
  total.noise_frames += more.noise_frames;
  total.empty_frames += more.empty_frames;
}

}  // namespace

class TcpScanner::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ScannerConfig config, ScanCallback on_scan, StateCallback on_state)
      : io_(io),
        config_(std::move(config)),
        acceptor_(io),
        on_scan_(std::move(on_scan)),
        on_state_(std::move(on_state)) {}

  Status start() {
    if (running_) return {};
    // Also for a TcpScanner built without create(): never listen beyond loopback by accident.
    if (auto bind = config_.check_bind_address(); !bind) {
      set_state(ScannerState::error, bind.error().message);
      return bind;
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.bind_address, ec);
    tcp::endpoint endpoint(address, config_.port);
    if (!ec) acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      std::string message = fmt::format("scanner '{}': cannot listen on {}:{}: {}", config_.name,
                                        config_.bind_address, config_.port, ec.message());
      set_state(ScannerState::error, message);
      return fail("tcp_listen_failed", message);
    }
    running_ = true;
    set_state(ScannerState::ready, "");
    accept();
    return {};
  }

  void stop() {
    running_ = false;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, connection] : connections_) connection->close();
    connections_.clear();
    state_ = ScannerState::absent;
    reason_ = "stopped";
  }

  std::uint16_t local_port() const {
    boost::system::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  }
  std::size_t connection_count() const { return connections_.size(); }
  ScannerState state() const { return state_; }

  ScannerStatus status() const {
    FramerStats stats = closed_stats_;
    for (const auto& [id, connection] : connections_) add_stats(stats, connection->framer.stats());
    return ScannerStatus{.name = config_.name,
                         .kind = config_.kind,
                         .path = fmt::format("{}:{}", config_.bind_address, local_port()),
                         .state = state_,
                         .reason = reason_,
                         .stats = stats,
                         .opens = accepted_};
  }

 private:
  // One forwarder connection with its own framing state.
  struct Connection {
    Connection(asio::io_context& io, tcp::socket s, FramerConfig framer_config)
        : socket(std::move(s)), framer(framer_config), idle_timer(io) {}
    void close() {
      boost::system::error_code ignored;
      idle_timer.cancel();
      socket.close(ignored);
    }
    tcp::socket socket;
    Framer framer;
    asio::steady_timer idle_timer;
    std::array<char, 4096> buffer{};
  };

  void accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          if (!self->running_ || ec == asio::error::operation_aborted) return;
          if (!ec) {
            if (self->connections_.size() >= kMaxConnections) {
              socket.close(ec);
            } else {
              socket.set_option(tcp::no_delay(true), ec);
              auto id = self->next_id_++;
              auto connection = std::make_shared<Connection>(self->io_, std::move(socket),
                                                             self->config_.framer_config());
              self->connections_.emplace(id, connection);
              ++self->accepted_;
              self->read(id, connection);
            }
          }
          // Transient accept errors (e.g. EMFILE) must not stop the listener.
          self->accept();
        });
  }

  void read(std::uint64_t id, const std::shared_ptr<Connection>& connection) {
    connection->socket.async_read_some(
        asio::buffer(connection->buffer),
        [self = shared_from_this(), id, connection](boost::system::error_code ec, std::size_t n) {
          if (!self->running_ || ec == asio::error::operation_aborted) return;
          const TimePoint now = Clock::now();
          if (n > 0) {
            self->deliver(
                connection->framer.feed(std::string_view(connection->buffer.data(), n), now));
          }
          if (ec) {
            // EOF or reset: a code without its terminator ends here (timeout framing) or is
            // dropped as noise.
            self->deliver(connection->framer.finish(now));
            self->remove(id, connection);
            return;
          }
          self->arm_idle_timer(id, connection);
          self->read(id, connection);
        });
  }

  void arm_idle_timer(std::uint64_t id, const std::shared_ptr<Connection>& connection) {
    auto deadline = connection->framer.idle_deadline();
    if (!deadline) {
      connection->idle_timer.cancel();
      return;
    }
    connection->idle_timer.expires_at(*deadline);
    connection->idle_timer.async_wait(
        [self = shared_from_this(), id, connection](boost::system::error_code ec) {
          if (ec || !self->running_ || !self->connections_.contains(id)) return;
          self->deliver(connection->framer.on_idle(Clock::now()));
          self->arm_idle_timer(id, connection);
        });
  }

  void remove(std::uint64_t id, const std::shared_ptr<Connection>& connection) {
    if (connections_.erase(id) == 0) return;
    add_stats(closed_stats_, connection->framer.stats());
    connection->close();
  }

  void deliver(std::vector<ScanEvent> events) {
    for (auto& event : events) {
      if (!running_) return;
      event.device = config_.name;
      if (on_scan_) on_scan_(event);
    }
  }

  void set_state(ScannerState state, std::string reason) {
    if (state == state_ && reason == reason_) return;
    state_ = state;
    reason_ = std::move(reason);
    if (on_state_) on_state_(status());
  }

  asio::io_context& io_;
  ScannerConfig config_;
  tcp::acceptor acceptor_;
  ScanCallback on_scan_;
  StateCallback on_state_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
  std::uint64_t accepted_ = 0;
  FramerStats closed_stats_;
  bool running_ = false;
  ScannerState state_ = ScannerState::absent;
  std::string reason_ = "not started";
};

Result<std::unique_ptr<TcpScanner>> TcpScanner::create(asio::io_context& io, ScannerConfig config,
                                                       ScanCallback on_scan,
                                                       StateCallback on_state) {
  PMA_TRY(config.validate());
  if (config.kind != ScannerKind::tcp) {
    return fail("invalid_scanner_config",
                fmt::format("scanner '{}': kind {} is served by ScannerDevice", config.name,
                            to_string(config.kind)));
  }
  return std::make_unique<TcpScanner>(io, std::move(config), std::move(on_scan),
                                      std::move(on_state));
}

TcpScanner::TcpScanner(asio::io_context& io, ScannerConfig config, ScanCallback on_scan,
                       StateCallback on_state)
    : impl_(
          std::make_shared<Impl>(io, std::move(config), std::move(on_scan), std::move(on_state))) {}

TcpScanner::~TcpScanner() { impl_->stop(); }
Status TcpScanner::start() { return impl_->start(); }
void TcpScanner::stop() { impl_->stop(); }
std::uint16_t TcpScanner::local_port() const { return impl_->local_port(); }
std::size_t TcpScanner::connection_count() const { return impl_->connection_count(); }
ScannerState TcpScanner::state() const { return impl_->state(); }
ScannerStatus TcpScanner::status() const { return impl_->status(); }

}  // namespace pma::scanner
