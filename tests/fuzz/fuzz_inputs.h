// The byte layouts of fuzz inputs that carry parameters as well as data, shared by the targets
// (which read them) and the seed corpus (which writes them). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pma::fuzz {

// fuzz_framer: a config byte, then chunks of [gap byte (x 8 ms)][length byte][bytes]. A chunk
// of length 0 calls Framer::on_idle instead of feed. Config byte: terminator = b % 5 (cr, lf,
// crlf, tab, none), 0x08 strip_aim, 0x10 no duplicate window, 0x20 max_length 16 (else 512).
struct FramerChunk {
  std::uint8_t gap = 0;
  std::string bytes;  // at most 255
};
std::string framer_input(std::uint8_t config, const std::vector<FramerChunk>& chunks);

// fuzz_wire_frames: [cap byte][chunk byte] then the stream. Cap byte 0: kDefaultMaxPayload,
// else cap * 16 bytes. The stream is fed in chunks of (chunk byte % 64) + 1 bytes.
std::string wire_input(std::uint8_t cap, std::uint8_t chunk, std::string_view stream);

// fuzz_zstd: [cap byte] then the compressed bytes; cap 0: 16 MiB, else cap * 256 bytes.
// fuzz_api_json: [message byte] then the body (see fuzz_api_json.cpp for the message list).
// fuzz_member_import: [format byte: even csv, odd jsonl] then the text.
std::string with_prefix(std::uint8_t prefix, std::string_view rest);

}  // namespace pma::fuzz
