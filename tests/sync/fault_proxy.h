// A loopback TCP proxy that injects one random fault per connection: drop (close), reset
// (RST), delay, truncate (half-close mid-stream) or duplicate (a chunk sent twice), at a
// random byte offset in a random direction. Seeded, so a failing run can be replayed.
// Single-threaded on the given io_context; must outlive its connections' io.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <random>

namespace pma::test {

enum class Fault { none = 0, drop, reset, delay, truncate, duplicate };

class FaultProxy {
 public:
  FaultProxy(boost::asio::io_context& io, std::uint16_t upstream_port, std::uint64_t seed);
  ~FaultProxy();
  std::uint16_t port() const { return port_; }
  // When off, connections pass through untouched.
  void enable(bool on) { enabled_ = on; }
  // How many connections got each fault.
  const std::array<int, 6>& counts() const { return counts_; }
  int connections() const { return connections_; }

  struct Shared;

 private:
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  std::mt19937_64 random_;
  bool enabled_ = true;
  std::array<int, 6> counts_{};
  int connections_ = 0;
  void accept();
};

}  // namespace pma::test
