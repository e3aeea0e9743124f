// DevicePresence against real files, folders, symlinks and a pty in a TempDir.
#include "drivers/printer/device_presence.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/support/pty_pair.h"
#include "tests/support/temp_dir.h"
#include "tests/support/virtual_printer.h"

namespace fs = std::filesystem;
using pma::printer::DevicePresence;
using pma::test::run_until;

TEST_CASE("DevicePresence sees a device file appear and vanish through its folder's watch",
          "[printer]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  std::string path = dir.file("lp0");
  // A recheck far longer than the test's deadline: only the inotify watch can notice.
  DevicePresence presence(io.get_executor(), path, std::chrono::hours(1));
  std::vector<bool> seen;
  presence.subscribe([&](bool present) { seen.push_back(present); });
  presence.start();

  CHECK_FALSE(presence.present());
  CHECK(presence.method() == "inotify");
  auto status = presence.status();
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == "device_absent");
  CHECK_THAT(status.error().message, Catch::Contains(path));

  SECTION("a device node (here a plain file) created and removed") {
    std::ofstream(dir.file("lp1")) << "";  // a neighbour changes nothing
    std::ofstream(path) << "";
    REQUIRE(run_until(io, [&] { return presence.present(); }));
    CHECK(presence.status().has_value());
    fs::remove(path);
    REQUIRE(run_until(io, [&] { return !presence.present(); }));
    CHECK(seen == std::vector<bool>{true, false});
  }
  SECTION("a udev-style symlink to a pty, renamed into place") {
    pma::test::PtyPair pty;
    fs::create_symlink(pty.device_path(), dir.file("lp0.tmp"));
    fs::rename(dir.file("lp0.tmp"), path);
    REQUIRE(run_until(io, [&] { return presence.present(); }));
    CHECK(seen == std::vector<bool>{true});
  }
}

TEST_CASE("DevicePresence counts a dangling symlink as absent and re-checks on request",
          "[printer]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  std::string target = dir.file("target");
  std::ofstream(target) << "";
  fs::create_symlink(target, dir.file("lp0"));
  DevicePresence presence(io.get_executor(), dir.file("lp0"), std::chrono::hours(1));
  presence.start();
  CHECK(presence.present());
  fs::remove(target);  // the link's target vanishes: no event in the link's folder
  presence.recheck();
  CHECK_FALSE(presence.present());
}

TEST_CASE("DevicePresence re-checks on a timer while the device's folder is missing", "[printer]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  fs::path usb = dir.path() / "usb";  // like /dev/usb before the first USB printer
  std::string path = (usb / "lp0").string();
  DevicePresence presence(io.get_executor(), path, std::chrono::milliseconds(20));
  presence.start();
  CHECK_FALSE(presence.present());
  CHECK(presence.method() == "timer");

  fs::create_directory(usb);
  REQUIRE(run_until(io, [&] { return presence.method() == "inotify"; }));
  std::ofstream(path) << "";
  REQUIRE(run_until(io, [&] { return presence.present(); }));

  fs::remove_all(usb);  // the folder goes with the last printer
  REQUIRE(run_until(io, [&] { return !presence.present() && presence.method() == "timer"; }));

  fs::create_directory(usb);
  std::ofstream(path) << "";
  REQUIRE(run_until(io, [&] { return presence.present(); }));

  presence.stop();
  CHECK(presence.method() == "stopped");
  io.restart();
  while (io.poll() > 0) {
  }
  CHECK(io.stopped());  // nothing left pending once stopped
}
