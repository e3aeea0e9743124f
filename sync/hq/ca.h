// The chain CA that memberhq uses to set up mutual TLS: a CA key and certificate, a server
// certificate for HQ, and one client certificate per terminal (OU = store id, CN = terminal
// id). Files are PEM; keys are EC P-256 and written with mode 0600. Not thread-safe per dir.
#pragma once

#include <string>
#include <vector>

#include "pma/error.h"

namespace pma::hq {

struct CaInitOptions {
  std::string chain_name = "POS Member Agent chain";
  // DNS names and IP addresses the HQ server certificate is valid for.
  std::vector<std::string> server_names = {"localhost", "127.0.0.1"};
  int valid_days = 3650;
};

// Creates DIR/ca.key, DIR/ca.crt, DIR/server.key, DIR/server.crt.
// Errors: "ca_exists" when DIR already holds a CA, "ca_io", "ca_openssl".
Status init_ca(const std::string& dir, const CaInitOptions& options = {});

struct IssuedCert {
  std::string cert_file;
  std::string key_file;
};

// Issues a client certificate for a terminal into out_dir as <store>-<terminal>.crt/.key.
// Errors: "ca_invalid_id" (an id outside pma/ids.h's rule), "ca_missing" (no CA in dir),
// "ca_io", "ca_openssl".
Result<IssuedCert> issue_terminal_cert(const std::string& dir, const std::string& store_id,
                                       const std::string& terminal_id, const std::string& out_dir,
                                       int valid_days = 825);

}  // namespace pma::hq
