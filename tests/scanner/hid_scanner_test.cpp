#include <fcntl.h>
#include <linux/uinput.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "drivers/scanner/hid_scan_source.h"
#include "drivers/scanner/scanner_device.h"
#include "tests/scanner/scanner_test_util.h"
#include "tests/support/temp_dir.h"

namespace {

using pma::scanner::ScanEvent;
using pma::scanner::ScannerConfig;
using pma::scanner::ScannerDevice;
using pma::scanner::ScannerState;
using pma::scanner::test::key;
using pma::scanner::test::run_until;
using pma::scanner::test::syn;
using pma::scanner::test::type_text;

// The writing end of a FIFO standing in for /dev/input/event*: recorded events go in as the
// kernel would deliver them (whole struct input_event records).
class EventPipe {
 public:
  explicit EventPipe(const std::string& path) {
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    // O_RDWR keeps the FIFO open without a reader, so the device's open never sees EOF.
    fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd_ >= 0);
  }
  ~EventPipe() { close(); }
  void write(const std::vector<input_event>& events) {
    const char* data = reinterpret_cast<const char*>(events.data());
    std::size_t size = events.size() * sizeof(input_event);
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      REQUIRE(n > 0);
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }
  // Writes raw bytes (to split an input_event across reads).
  void write_bytes(const void* data, std::size_t size) {
    REQUIRE(::write(fd_, data, size) == static_cast<ssize_t>(size));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
  }

 private:
  int fd_ = -1;
};

ScannerConfig hid_config(const std::string& path) {
  ScannerConfig config;
  config.name = "wedge";
  config.kind = pma::scanner::ScannerKind::hid;
  config.path = path;
  config.grab = false;  // a FIFO has no EVIOCGRAB
  return config;
}

}  // namespace

TEST_CASE("HID scanner decodes recorded evdev events from a pipe into scans", "[scanner][hid]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("usb-scanner-event-kbd");
  EventPipe pipe(path);
  boost::asio::io_context io;
  std::vector<ScanEvent> scans;
  auto device = ScannerDevice::create(io, hid_config(path),
                                      [&](const ScanEvent& event) { scans.push_back(event); });
  REQUIRE(device.has_value());
  (*device)->start();
  REQUIRE((*device)->state() == ScannerState::ready);

  pipe.write(type_text("Member42\r"));
  REQUIRE(run_until(io, [&] { return scans.size() == 1; }));
  CHECK(scans[0].code == "Member42");

  SECTION("an event split across reads is reassembled") {
    auto events = type_text("77\r");
    const char* bytes = reinterpret_cast<const char*>(events.data());
    pipe.write_bytes(bytes, 5);
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
    pipe.write_bytes(bytes + 5, events.size() * sizeof(input_event) - 5);
    REQUIRE(run_until(io, [&] { return scans.size() == 2; }));
    CHECK(scans[1].code == "77");
  }

  SECTION("SYN_DROPPED discards the partial code; the next code is whole") {
    auto events = type_text("1234");
    events.push_back(syn(SYN_DROPPED));
    events.push_back(key(KEY_5, 1));
    events.push_back(syn());
    pipe.write(events);
    run_until(
        io, [] { return false; }, std::chrono::milliseconds(50));
    pipe.write(type_text("5678\r"));
    REQUIRE(run_until(io, [&] { return scans.size() == 2; }));
    CHECK(scans[1].code == "5678");
  }

  SECTION("the writer going away is noticed as the device gone") {
    pipe.close();
    REQUIRE(run_until(io, [&] { return (*device)->state() != ScannerState::ready; }));
  }
}

TEST_CASE("HID scan source refuses to run ungrabbed on a non-evdev file when grab is on",
          "[scanner][hid]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("fake-event-kbd");
  EventPipe pipe(path);
  pma::scanner::HidScanSource source(path, pma::scanner::KeyboardLayout::us(), /*grab=*/true);
  auto opened = source.open();
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().code == "hid_grab_failed");
  CHECK(opened.error().message.find(path) != std::string::npos);
}

TEST_CASE("HID scanner is absent while its by-id path does not exist", "[scanner][hid]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  auto device = ScannerDevice::create(io, hid_config(dir.file("missing-event-kbd")), {});
  REQUIRE(device.has_value());
  (*device)->start();
  CHECK((*device)->state() == ScannerState::absent);
}

// A virtual USB keyboard through /dev/uinput, standing in for a plugged-in wedge scanner.
class UinputKeyboard {
 public:
  // Returns an empty string (and sets why) when uinput cannot be used here.
  static std::string create(UinputKeyboard& keyboard, std::string& why) {
    int fd = ::open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      why = std::string("/dev/uinput: ") + std::strerror(errno);
      return {};
    }
    keyboard.fd_ = fd;
    ::ioctl(fd, UI_SET_EVBIT, EV_KEY);
    ::ioctl(fd, UI_SET_EVBIT, EV_SYN);
    for (int code = KEY_ESC; code <= KEY_KPDOT; ++code) ::ioctl(fd, UI_SET_KEYBIT, code);
    uinput_setup setup{};
    setup.id.bustype = BUS_USB;
    setup.id.vendor = 0x0c2e;  // a scanner-like id; any value works
    setup.id.product = 0x0b61;
    std::strncpy(setup.name, "pma test wedge scanner", UINPUT_MAX_NAME_SIZE - 1);
    char sysname[64] = {};
    if (::ioctl(fd, UI_DEV_SETUP, &setup) != 0 || ::ioctl(fd, UI_DEV_CREATE) != 0 ||
        ::ioctl(fd, UI_GET_SYSNAME(sizeof sysname), sysname) < 0) {
      why = std::string("uinput device creation failed: ") + std::strerror(errno);
      return {};
    }
    const std::filesystem::path sys = std::filesystem::path("/sys/devices/virtual/input") / sysname;
    for (int attempt = 0; attempt < 200; ++attempt) {  // udev may take a moment
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(sys, ec)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with("event") && std::filesystem::exists("/dev/input/" + name)) {
          return "/dev/input/" + name;
        }
      }
      ::usleep(10000);
    }
    why = "no /dev/input/event* node appeared for " + sys.string();
    return {};
  }
  ~UinputKeyboard() {
    if (fd_ >= 0) {
      ::ioctl(fd_, UI_DEV_DESTROY);
      ::close(fd_);
    }
  }
  void write(const std::vector<input_event>& events) {
    for (const auto& event : events) REQUIRE(::write(fd_, &event, sizeof event) == sizeof event);
  }

 private:
  int fd_ = -1;
};

// Through a real uinput keyboard: only where /dev/uinput exists and is writable.
TEST_CASE("HID scanner reads a real uinput keyboard with EVIOCGRAB", "[scanner][hid]") {
  UinputKeyboard keyboard;
  std::string why;
  std::string path = UinputKeyboard::create(keyboard, why);
  if (path.empty()) {
    std::cout << "SKIPPED: uinput test: " << why
              << " (the decoder and HID device are covered through a pipe)\n";
    return;
  }
  boost::asio::io_context io;
  std::vector<ScanEvent> scans;
  auto config = hid_config(path);
  config.grab = true;
  auto device =
      ScannerDevice::create(io, config, [&](const ScanEvent& event) { scans.push_back(event); });
  REQUIRE(device.has_value());
  (*device)->start();
  REQUIRE((*device)->state() == ScannerState::ready);
  keyboard.write(type_text("Uinput7\r"));
  REQUIRE(run_until(io, [&] { return scans.size() == 1; }));
  CHECK(scans[0].code == "Uinput7");
}
