// Opening a mutually authenticated TLS connection to memberhq: resolve, connect, TLS handshake
// with SNI and host-name verification. Shared by sync sessions and reservations. Used on the
// io_context thread that owns the stream.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <expected>

#include "pma/error.h"
#include "sync/client/client_state.h"
#include "sync/client/sync_client.h"

namespace pma::sync {

// Why a connection to memberhq failed; the Error keeps the code for logs: "connect",
// "tls_handshake", "tls_refused".
enum class ConnectFailure {
  unreachable,          // cannot resolve or connect ("connect")
  handshake,            // the handshake failed otherwise: a timeout, a reset; transient
  certificate_refused,  // HQ refused our certificate or we refused HQ's: configuration
};

struct ConnectError {
  ConnectFailure kind = ConnectFailure::unreachable;
  Error error;
};

// Connects a fresh stream to one HQ address (a stream whose handshake failed is not reused).
boost::asio::awaitable<std::expected<void, ConnectError>> connect_tls(TlsStream& stream,
                                                                      const HqAddress& hq);

}  // namespace pma::sync
