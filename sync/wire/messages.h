// Protobuf messages in and out of frames: serialise (+ zstd for batch and member_page frames)
// and the reverse, with precise errors. Pure functions; thread-safe.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <vector>

#include "pma/error.h"
#include "wire/compression.h"
#include "wire/frame.h"

namespace pma::wire {

// A complete frame (header + payload) carrying message, compressed when the type says so.
std::vector<std::uint8_t> encode_message(FrameType type,
                                         const google::protobuf::MessageLite& message,
                                         int zstd_level = 3);

// Parses frame into out. Errors: "frame_unexpected" (another frame type than expected; an
// error frame from the peer is returned as its own code and message), "zstd_garbled",
// "zstd_too_large", "protobuf_garbled".
Status decode_message(const Frame& frame, FrameType expected, google::protobuf::MessageLite& out,
                      std::size_t max_decompressed = kDefaultMaxDecompressed);

// An error frame for the peer.
std::vector<std::uint8_t> encode_error(const Error& error);

}  // namespace pma::wire
