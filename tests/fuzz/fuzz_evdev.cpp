// Fuzz target: scanner::EvdevDecoder over raw struct input_event records, as HidScanSource
// reads them from /dev/input/event* (a partial trailing record is ignored, as there).
// Properties: no throw; the text holds only characters the US layout can type (or Ctrl
// codes); discard_partial iff a SYN_DROPPED was seen and stats.drops counts them; decoding in
// two runs equals decoding in one (the second run's text replaces the first's after a drop).
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "drivers/scanner/evdev_decoder.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using pma::fuzz::check;
using pma::scanner::DecodedText;
using pma::scanner::EvdevDecoder;

void check_text(const std::string& text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    // Printable ASCII from the layout, or Enter/Tab and Ctrl codes (0x00..0x1f).
    check(u < 0x7f, fmt::format("decoded byte 0x{:02x} no key types", u));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<input_event> events(size / sizeof(input_event));
  if (!events.empty()) std::memcpy(events.data(), data, events.size() * sizeof(input_event));
  std::uint64_t syn_dropped = 0;
  for (const auto& e : events) syn_dropped += e.type == EV_SYN && e.code == SYN_DROPPED;

  EvdevDecoder whole_decoder;
  const DecodedText whole = whole_decoder.decode(events);
  check_text(whole.text);
  check(whole.discard_partial == (syn_dropped > 0), "discard_partial without a SYN_DROPPED");
  check(whole_decoder.stats().drops == syn_dropped, "stats.drops miscounts SYN_DROPPED");
  check(whole_decoder.stats().unmapped_keys <= whole_decoder.stats().key_presses,
        "more unmapped keys than key presses");
  check(whole.text.size() <= whole_decoder.stats().key_presses, "more characters than presses");

  const std::size_t half = events.size() / 2;
  EvdevDecoder split_decoder;
  const auto span = std::span<const input_event>(events);
  const DecodedText first = split_decoder.decode(span.first(half));
  const DecodedText second = split_decoder.decode(span.subspan(half));
  const std::string joined = second.discard_partial ? second.text : first.text + second.text;
  check(joined == whole.text, "decoding in two runs gives other text than in one");
  check((first.discard_partial || second.discard_partial) == whole.discard_partial,
        "decoding in two runs reports drops differently");

  // reset() forgets modifiers: a fresh decoder and a reset one agree.
  split_decoder.reset();
  EvdevDecoder fresh;
  check(split_decoder.decode(events).text == fresh.decode(events).text,
        "a reset decoder differs from a fresh one");
  return 0;
}
