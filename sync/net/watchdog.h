// Closes a socket when a deadline passes, so a stalled read or write fails instead of hanging.
// Arm before each operation, disarm after. Single-threaded, like the socket it guards.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace pma::net {

class Watchdog {
 public:
  Watchdog(boost::asio::any_io_executor executor, std::function<void()> on_expiry)
      : timer_(std::make_shared<boost::asio::steady_timer>(executor)),
        on_expiry_(std::make_shared<std::function<void()>>(std::move(on_expiry))) {}
  ~Watchdog() { disarm(); }

  void arm(std::chrono::milliseconds timeout) {
    timer_->expires_after(timeout);
    auto callback = on_expiry_;
    timer_->async_wait([callback](boost::system::error_code ec) {
      if (!ec) (*callback)();
    });
  }
  void disarm() { timer_->cancel(); }

 private:
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<std::function<void()>> on_expiry_;
};

}  // namespace pma::net
