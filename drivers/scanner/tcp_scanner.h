// TcpScanner: a TCP listener for network scanners and forwarders; each connection sends codes
// one per line (framed by its own Framer with the scanner's settings). Runs on the Asio
// io_context. Not thread-safe: create, use and destroy it on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "drivers/scanner/scanner_config.h"
#include "drivers/scanner/scanner_device.h"
#include "pma/error.h"

namespace pma::scanner {

class TcpScanner {
 public:
  static constexpr std::size_t kMaxConnections = 32;  // more are accepted and closed at once

  // `config` (kind tcp) is validated: "invalid_scanner_config" otherwise.
  static Result<std::unique_ptr<TcpScanner>> create(boost::asio::io_context& io,
                                                    ScannerConfig config, ScanCallback on_scan,
                                                    StateCallback on_state = {});
  TcpScanner(boost::asio::io_context& io, ScannerConfig config, ScanCallback on_scan,
             StateCallback on_state);
  // Stops: closes the listener and every connection; no callback runs afterwards.
  ~TcpScanner();
  TcpScanner(const TcpScanner&) = delete;
  TcpScanner& operator=(const TcpScanner&) = delete;

  // Binds config.bind_address:config.port and accepts. Errors "invalid_scanner_config" for a
  // non-loopback address without allow_remote, "tcp_listen_failed" naming the address, port
  // and OS error (the state becomes error with that reason).
  Status start();
  void stop();

  // The bound port (useful with port 0 in tests); 0 when not listening.
  std::uint16_t local_port() const;
  std::size_t connection_count() const;
  ScannerState state() const;
  // Stats summed over every connection, past and present.
  ScannerStatus status() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pma::scanner
