// HidScanSource: a keyboard-wedge scanner read through Linux evdev (/dev/input/by-id/...),
// grabbed with EVIOCGRAB so its keystrokes never reach the till's UI, and decoded through a
// configured layout. Not thread-safe: one thread owns a source.
#pragma once

#include <string>

#include "drivers/scanner/evdev_decoder.h"
#include "drivers/scanner/scan_source.h"

namespace pma::scanner {

class HidScanSource final : public ScanSource {
 public:
  // `grab` false skips EVIOCGRAB (tests feed recorded events through a FIFO, which has none).
  HidScanSource(std::string path, KeyboardLayout layout, bool grab);
  ~HidScanSource() override;
  HidScanSource(const HidScanSource&) = delete;
  HidScanSource& operator=(const HidScanSource&) = delete;

  // Errors: "device_absent", "hid_open_failed", "hid_grab_failed" (another program holds it).
  Status open() override;
  int native_handle() const override { return fd_; }
  Status read_available(std::string& text, bool& discard_partial) override;
  void close() override;

  const EvdevDecoderStats& decoder_stats() const { return decoder_.stats(); }

 private:
  std::string path_;
  bool grab_;
  EvdevDecoder decoder_;
  int fd_ = -1;
  std::string pending_;  // bytes of an input_event split across reads
};

}  // namespace pma::scanner
