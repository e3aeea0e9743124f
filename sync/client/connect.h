// Opening a mutually authenticated TLS connection to memberhq: resolve, connect, TLS handshake
// with SNI and host-name verification. Shared by sync sessions and reservations. Used on the
// io_context thread that owns the stream.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "pma/error.h"
#include "sync/client/client_state.h"
#include "sync/client/sync_client.h"

namespace pma::sync {

// Errors: "connect" (cannot resolve or connect), "tls_refused" (HQ refused our certificate or
// we refused HQ's: configuration, not the network), "tls_handshake" (the handshake failed
// otherwise: a timeout, a reset; transient).
boost::asio::awaitable<Status> connect_tls(TlsStream& stream, const ClientConfig& config);

}  // namespace pma::sync
