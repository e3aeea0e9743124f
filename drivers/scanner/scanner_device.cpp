#include "drivers/scanner/scanner_device.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace pma::scanner {

namespace asio = boost::asio;

std::string_view to_string(ScannerState state) {
  switch (state) {
    case ScannerState::absent:
      return "absent";
    case ScannerState::ready:
      return "ready";
    case ScannerState::error:
      return "error";
  }
  return "unknown";
}

class ScannerDevice::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ScannerConfig config, std::unique_ptr<ScanSource> source,
       ScanCallback on_scan, StateCallback on_state, ReopenBackoff backoff)
      : config_(std::move(config)),
        source_(std::move(source)),
        framer_(config_.framer_config()),
        descriptor_(io),
        idle_timer_(io),
        retry_timer_(io),
        on_scan_(std::move(on_scan)),
        on_state_(std::move(on_state)),
        backoff_(backoff),
        next_delay_(backoff.initial) {}

  void start() {
    if (running_) return;
    running_ = true;
    next_delay_ = backoff_.initial;
    try_open();
  }

  void stop() {
    running_ = false;
    retry_timer_.cancel();
    close_source();
    state_ = ScannerState::absent;
    reason_ = "stopped";
  }

  ScannerState state() const { return state_; }

  ScannerStatus status() const {
    return ScannerStatus{.name = config_.name,
                         .kind = config_.kind,
                         .path = config_.path,
                         .state = state_,
                         .reason = reason_,
                         .stats = framer_.stats(),
                         .opens = opens_};
  }

 private:
  void try_open() {
    if (!running_) return;
    if (auto opened = source_->open(); !opened) {
      set_state(opened.error().code == "device_absent" ? ScannerState::absent : ScannerState::error,
                opened.error().message);
      schedule_retry();
      return;
    }
    boost::system::error_code ec;
    descriptor_.assign(source_->native_handle(), ec);
    if (ec) {
      source_->close();
      set_state(ScannerState::error, "cannot watch " + config_.path + ": " + ec.message());
      schedule_retry();
      return;
    }
    ++opens_;
    framer_.discard_partial();
    next_delay_ = backoff_.initial;
    set_state(ScannerState::ready, "");
    wait_readable();
  }

  void wait_readable() {
    descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                             self->on_readable(ec);
                           });
  }

  void on_readable(const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || !running_ || !descriptor_.is_open()) return;
    if (ec) {
      lost(Error{"device_gone", config_.path + ": " + ec.message()});
      return;
    }
    std::string text;
    bool discard = false;
    Status read = source_->read_available(text, discard);
    const TimePoint now = Clock::now();
    if (discard) framer_.discard_partial();
    if (!text.empty()) deliver(framer_.feed(text, now));
    if (!running_) return;
    if (!read) {
      lost(read.error());
      return;
    }
    arm_idle_timer();
    wait_readable();
  }

  // The idle timer runs only while the framer holds a partial code (timeout framing or a stale
  // partial); it is a deadline, not a poll.
  void arm_idle_timer() {
    auto deadline = framer_.idle_deadline();
    if (!deadline) {
      idle_timer_.cancel();
      return;
    }
    idle_timer_.expires_at(*deadline);
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->running_) return;
      self->deliver(self->framer_.on_idle(Clock::now()));
      if (self->running_ && self->descriptor_.is_open()) self->arm_idle_timer();
    });
  }

  void deliver(std::vector<ScanEvent> events) {
    for (auto& event : events) {
      if (!running_) return;
      event.device = config_.name;
      if (on_scan_) on_scan_(event);
    }
  }

  void lost(const Error& error) {
    close_source();
    set_state(error.code == "device_gone" ? ScannerState::absent : ScannerState::error,
              error.message);
    schedule_retry();
  }

  void close_source() {
    idle_timer_.cancel();
    framer_.discard_partial();
    if (descriptor_.is_open()) {
      boost::system::error_code ignored;
      descriptor_.cancel(ignored);
      descriptor_.release();  // the source owns the fd and closes it
    }
    source_->close();
  }

  void schedule_retry() {
    if (!running_) return;
    retry_timer_.expires_after(next_delay_);
    next_delay_ = std::min(next_delay_ * 2, backoff_.max);
    retry_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->try_open();
    });
  }

  void set_state(ScannerState state, std::string reason) {
    if (state == state_ && reason == reason_) return;
    state_ = state;
    reason_ = std::move(reason);
    if (on_state_) on_state_(status());
  }

  ScannerConfig config_;
  std::unique_ptr<ScanSource> source_;
  Framer framer_;
  asio::posix::stream_descriptor descriptor_;
  asio::steady_timer idle_timer_;
  asio::steady_timer retry_timer_;
  ScanCallback on_scan_;
  StateCallback on_state_;
  ReopenBackoff backoff_;
  std::chrono::milliseconds next_delay_;
  bool running_ = false;
  ScannerState state_ = ScannerState::absent;
  std::string reason_ = "not started";
  std::uint64_t opens_ = 0;
};

Result<std::unique_ptr<ScannerDevice>> ScannerDevice::create(asio::io_context& io,
                                                             ScannerConfig config,
                                                             ScanCallback on_scan,
                                                             StateCallback on_state,
                                                             ReopenBackoff backoff) {
  PMA_TRY(config.validate());
  if (config.kind == ScannerKind::tcp) {
    return fail("invalid_scanner_config",
                "scanner '" + config.name + "': kind tcp is served by TcpScanner");
  }
  auto source = make_scan_source(config);
  return std::make_unique<ScannerDevice>(io, std::move(config), std::move(source),
                                         std::move(on_scan), std::move(on_state), backoff);
}

ScannerDevice::ScannerDevice(asio::io_context& io, ScannerConfig config,
                             std::unique_ptr<ScanSource> source, ScanCallback on_scan,
                             StateCallback on_state, ReopenBackoff backoff)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(source), std::move(on_scan),
                                   std::move(on_state), backoff)) {}

ScannerDevice::~ScannerDevice() { impl_->stop(); }

void ScannerDevice::start() { impl_->start(); }
void ScannerDevice::stop() { impl_->stop(); }
ScannerState ScannerDevice::state() const { return impl_->state(); }
ScannerStatus ScannerDevice::status() const { return impl_->status(); }

}  // namespace pma::scanner
