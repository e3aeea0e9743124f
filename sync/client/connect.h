// Opening a mutually authenticated TLS connection to memberhq: resolve, connect, TLS handshake
// with SNI and host-name verification. Shared by sync sessions and reservations. Used on the
// io_context thread that owns the stream.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "client/client_state.h"
#include "client/sync_client.h"
#include "pma/error.h"

namespace pma::sync {

// Errors: "connect" (cannot resolve or connect), "tls_handshake".
boost::asio::awaitable<Status> connect_tls(TlsStream& stream, const ClientConfig& config);

}  // namespace pma::sync
