// SyncClient's internal state, shared by sync_client.cpp (schedule) and sync_session.cpp
// (one session). Not part of the public interface. io_context thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <random>
#include <string>

#include "sync/client/sync_client.h"

namespace pma::sync {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

struct SyncClient::State {
  explicit State(boost::asio::io_context& io) : timer(io) {}
  std::shared_ptr<boost::asio::ssl::context> tls;
  boost::asio::steady_timer timer;
  std::weak_ptr<TlsStream> current;  // the session in progress, for stop()
  bool stopped = false;
  bool in_session = false;
  bool started = false;
  bool reachable = false;
  std::string last_error;
  // Set while HQ refuses this terminal (a failed TLS handshake, or an error in answer to Hello:
  // terminal_revoked, an unusable certificate, ...); cleared by the next handshake or a failed
  // connect. HQ is then not reachable.
  std::string refusal;
  std::uint32_t failures = 0;
  SyncClient::RuleSetObserver on_rule_set;
  std::uint32_t retry_after_ms = 0;
  std::size_t hq_index = 0;  // SyncClient::current_hq()
  std::mt19937_64 random{std::random_device{}()};
};

}  // namespace pma::sync
