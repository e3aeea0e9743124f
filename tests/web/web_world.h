// What the browser tests share: a real memberd with a TCP scanner (fed over a real loopback
// connection) and a TCP receipt printer (the virtual ESC/POS printer of tests/support), its
// config file for memberctl, a way to run memberctl, and the folder where tests leave their
// screenshots. Not thread-safe; one test owns it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "tests/support/memberd_process.h"
#include "tests/support/virtual_printer.h"

namespace pma::test {

struct WebWorld {
  // `allowed_origins`: the TOML array of api.allowed_origins ("[\"http://...\"]").
  explicit WebWorld(const std::string& allowed_origins = "[]");

  // Connects to memberd's TCP scanner and sends `code` with a CR, as a network scanner does.
  void scan(const std::string& code);
  // Runs memberctl with memberd's config and `args`; returns its stdout, sets `status`.
  std::string memberctl(const std::string& args, int* status = nullptr);
  std::string config_path() const { return memberd->dir.file("memberd.toml"); }

  boost::asio::io_context io;
  VirtualPrinter printer{io, 48};
  int scanner_port = 0;
  std::unique_ptr<MemberdProcess> memberd;
};

// <build>/test-output/web/<name>: where the browser tests save screenshots (created).
std::string output_file(const std::string& name);

}  // namespace pma::test
