#include "drivers/scanner/scanner_device.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>

#include "drivers/scanner/hid_scan_source.h"
#include "tests/scanner/scanner_test_util.h"
#include "tests/support/pty_pair.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using pma::scanner::ScanEvent;
using pma::scanner::ScannerConfig;
using pma::scanner::ScannerDevice;
using pma::scanner::ScannerKind;
using pma::scanner::ScannerState;
using pma::scanner::ScannerStatus;
using pma::scanner::test::run_until;

// Points `link` at `target` atomically, as udev re-points /dev/serial/by-id on replug.
void point_symlink(const std::string& link, const std::string& target) {
  std::string temp = link + ".new";
  std::filesystem::remove(temp);
  std::filesystem::create_symlink(target, temp);
  std::filesystem::rename(temp, link);
}

struct Recorder {
  std::vector<ScanEvent> scans;
  std::vector<ScannerStatus> states;
  pma::scanner::ScanCallback on_scan() {
    return [this](const ScanEvent& event) { scans.push_back(event); };
  }
  pma::scanner::StateCallback on_state() {
    return [this](const ScannerStatus& status) { states.push_back(status); };
  }
};

ScannerConfig serial_config(const std::string& path) {
  ScannerConfig config;
  config.name = "till-1";
  config.kind = ScannerKind::serial;
  config.path = path;
  config.serial_driver = pma::serial::SerialDriver::automatic;
  return config;
}

}  // namespace

TEST_CASE("Serial scanner delivers bytes written into a pty to the callback", "[scanner]") {
  boost::asio::io_context io;
  pma::test::PtyPair pty;
  Recorder recorder;
  auto config = serial_config(pty.device_path());
  config.strip_aim = true;
  auto device = ScannerDevice::create(io, config, recorder.on_scan(), recorder.on_state());
  REQUIRE(device.has_value());
  (*device)->start();
  REQUIRE((*device)->state() == ScannerState::ready);

  pty.write("]Q1MEMBER-0001\r");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 1; }));
  CHECK(recorder.scans[0].code == "MEMBER-0001");
  CHECK(recorder.scans[0].symbology == "]Q1");
  CHECK(recorder.scans[0].device == "till-1");

  // Split across writes, the code still arrives whole.
  pty.write("6901");
  pty.write("234\r");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 2; }));
  CHECK(recorder.scans[1].code == "6901234");
  CHECK((*device)->status().stats.scans == 2);
}

TEST_CASE("Serial scanner without terminator ends codes by the inter-character timeout",
          "[scanner]") {
  boost::asio::io_context io;
  pma::test::PtyPair pty;
  Recorder recorder;
  auto config = serial_config(pty.device_path());
  config.terminator = pma::scanner::Terminator::none;
  config.intercharacter_timeout_ms = 30;
  auto device = ScannerDevice::create(io, config, recorder.on_scan());
  REQUIRE(device.has_value());
  (*device)->start();
  pty.write("NOSUFFIX42");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 1; }));
  CHECK(recorder.scans[0].code == "NOSUFFIX42");
}

TEST_CASE("Serial scanner rejects garbage and oversize lines, counts them, keeps running",
          "[scanner]") {
  boost::asio::io_context io;
  pma::test::PtyPair pty;
  Recorder recorder;
  auto config = serial_config(pty.device_path());
  config.max_length = 64;
  auto device = ScannerDevice::create(io, config, recorder.on_scan());
  REQUIRE(device.has_value());
  (*device)->start();

  pty.write(std::string("\x00\xff\xfe\x80\r", 5));  // line noise
  pty.write(std::string(10000, 'Z') + "\r");        // oversize
  pty.write("\x02GOOD-1\x03\r");                    // STX/ETX wrapped: control chars dropped
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 1; }));
  CHECK(recorder.scans[0].code == "GOOD-1");
  auto stats = (*device)->status().stats;
  CHECK(stats.noise_frames == 1);
  CHECK(stats.oversize == 1);
  CHECK(stats.control_chars_dropped == 3);  // NUL, STX, ETX
  CHECK((*device)->state() == ScannerState::ready);
}

TEST_CASE("Serial scanner notices a closed pty and reopens when the by-id link returns",
          "[scanner]") {
  boost::asio::io_context io;
  pma::test::TempDir dir;
  const std::string link = dir.file("usb-Honeywell_1900-if00");
  auto first = std::make_unique<pma::test::PtyPair>();
  point_symlink(link, first->device_path());
  Recorder recorder;
  auto device =
      ScannerDevice::create(io, serial_config(link), recorder.on_scan(), recorder.on_state());
  REQUIRE(device.has_value());
  (*device)->start();
  REQUIRE((*device)->state() == ScannerState::ready);
  first->write("BEFORE\r");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 1; }));

  // Unplug: the pty goes away and the link dangles, as /dev/serial/by-id does.
  first->close_controller();
  first.reset();
  std::filesystem::remove(link);
  REQUIRE(run_until(io, [&] { return (*device)->state() != ScannerState::ready; }));
  CHECK((*device)->state() == ScannerState::absent);
  CHECK_FALSE((*device)->status().reason.empty());
  // Still absent while nothing is there (it keeps retrying without spinning).
  run_until(
      io, [] { return false; }, 300ms);
  CHECK((*device)->state() == ScannerState::absent);

  // Replug: a new pty behind the same stable path.
  pma::test::PtyPair second;
  point_symlink(link, second.device_path());
  REQUIRE(run_until(io, [&] { return (*device)->state() == ScannerState::ready; }));
  CHECK((*device)->status().opens == 2);
  second.write("AFTER\r");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 2; }));
  CHECK(recorder.scans[1].code == "AFTER");

  // The state callback saw ready -> absent -> ready (the absent reason may change in between:
  // "hung up" and then "does not exist").
  std::vector<ScannerState> seen;
  for (const auto& status : recorder.states) {
    if (seen.empty() || seen.back() != status.state) seen.push_back(status.state);
  }
  CHECK(seen ==
        std::vector<ScannerState>{ScannerState::ready, ScannerState::absent, ScannerState::ready});
}

TEST_CASE("Scanner that is absent at start opens once the device appears", "[scanner]") {
  boost::asio::io_context io;
  pma::test::TempDir dir;
  const std::string link = dir.file("usb-late-if00");
  Recorder recorder;
  auto device = ScannerDevice::create(io, serial_config(link), recorder.on_scan());
  REQUIRE(device.has_value());
  (*device)->start();
  CHECK((*device)->state() == ScannerState::absent);
  pma::test::PtyPair pty;
  point_symlink(link, pty.device_path());
  REQUIRE(run_until(io, [&] { return (*device)->state() == ScannerState::ready; }));
  pty.write("LATE\r");
  REQUIRE(run_until(io, [&] { return recorder.scans.size() == 1; }));
}

TEST_CASE("Scanner that cannot open a present device reports error with the reason", "[scanner]") {
  boost::asio::io_context io;
  pma::test::TempDir dir;
  const std::string path = dir.file("not-a-tty");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fclose(f);
  }
  auto config = serial_config(path);
  config.serial_driver = pma::serial::SerialDriver::termios;
  auto device = ScannerDevice::create(io, config, {});
  REQUIRE(device.has_value());
  (*device)->start();
  CHECK((*device)->state() == ScannerState::error);
  CHECK((*device)->status().reason.find("not-a-tty") != std::string::npos);
}

TEST_CASE("ScannerConfig validate names the bad field", "[scanner]") {
  auto config = serial_config("/dev/ttyUSB0");
  CHECK(config.validate().has_value());
  SECTION("name") {
    config.name = "";
    CHECK(config.validate().error().message.find("name") != std::string::npos);
  }
  SECTION("path") {
    config.path = "";
    CHECK(config.validate().error().message.find("path") != std::string::npos);
  }
  SECTION("baud") {
    config.serial.baud = 7;
    CHECK(config.validate().error().message.find("baud") != std::string::npos);
  }
  SECTION("layout") {
    config.kind = ScannerKind::hid;
    config.layout = "xx";
    CHECK(config.validate().error().message.find("layout") != std::string::npos);
  }
  SECTION("max_length") {
    config.max_length = -1;
    CHECK(config.validate().error().message.find("max_length") != std::string::npos);
  }
  SECTION("port") {
    config.kind = ScannerKind::tcp;
    CHECK(config.validate().error().message.find("port") != std::string::npos);
  }
  boost::asio::io_context io;
  auto device = ScannerDevice::create(io, config, {});
  REQUIRE_FALSE(device.has_value());
  CHECK(device.error().code == "invalid_scanner_config");
}
