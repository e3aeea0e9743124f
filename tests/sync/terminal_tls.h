// TLS client contexts for hand-driven terminal sessions against a SyncWorld's HQ: the tests
// that speak raw frames (bad input, idle or rogue sessions) present a certificate as a till
// would, without a SyncClient. Single-threaded, like SyncWorld.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "sync/hq/ca.h"
#include "sync/net/tls.h"
#include "tests/sync/sync_world.h"

namespace pma::test {

// A client context presenting `cert` and trusting the world's CA.
inline std::shared_ptr<boost::asio::ssl::context> terminal_tls(SyncWorld& world,
                                                               const hq::IssuedCert& cert) {
  auto tls = net::make_client_context({world.ca_dir + "/ca.crt", cert.cert_file, cert.key_file});
  REQUIRE(tls);
  return *tls;
}

// A client context for a certificate the world's CA issues now to store/terminal.
inline std::shared_ptr<boost::asio::ssl::context> terminal_tls(SyncWorld& world,
                                                               const std::string& store,
                                                               const std::string& terminal) {
  auto cert = hq::issue_terminal_cert(world.ca_dir, store, terminal,
                                      world.dir.file("certs-" + store + terminal));
  REQUIRE(cert);
  return terminal_tls(world, *cert);
}

}  // namespace pma::test
