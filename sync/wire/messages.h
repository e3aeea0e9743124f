// Protobuf messages in and out of frames: serialise (+ zstd for batch and member_page frames)
// and the reverse, with precise errors. Pure functions; thread-safe.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <vector>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/wire/compression.h"
#include "sync/wire/frame.h"

namespace pma::wire {

// A complete frame (header + payload) carrying message, compressed when the type says so.
std::vector<std::uint8_t> encode_message(FrameType type,
                                         const google::protobuf::MessageLite& message,
                                         int zstd_level = 3);

// What the peer's error frame says: its code when that is one of ours (stable snake_case
// ASCII, at most 64 characters; the code reaches logs, metrics and the POS's JSON), otherwise
// `fallback`; "protobuf_garbled" for an unreadable frame. The message is the peer's.
Error peer_error(const Frame& frame, std::string_view fallback = "peer_error");

// Parses frame into out. Errors: "frame_unexpected" (another frame type than expected; an
// error frame from the peer is returned as its own code and message), "zstd_garbled",
// "zstd_too_large", "protobuf_garbled".
Status decode_message(const Frame& frame, FrameType expected, google::protobuf::MessageLite& out,
                      std::size_t max_decompressed = kDefaultMaxDecompressed);

// A batch frame. columnar: checkouts travel column-wise (pack_checkouts; only for a peer whose
// Handshake.protocol_version is at least kColumnarProtocolVersion).
std::vector<std::uint8_t> encode_batch(pma::v1::Batch batch, bool columnar, int zstd_level = 3);
// decode_message for a batch frame, then unpack_checkouts: out holds plain deltas in seq order.
// Errors: those of decode_message, and "batch_garbled".
Status decode_batch(const Frame& frame, pma::v1::Batch& out,
                    std::size_t max_decompressed = kDefaultMaxDecompressed);

// The first protocol version whose receiver reads Batch.checkouts.
inline constexpr std::uint32_t kColumnarProtocolVersion = 2;
// Hello.provisional_ids beyond this many are not looked up (the rest wait for the next session).
inline constexpr std::size_t kMaxUnmappedIds = 1000;

// An error frame for the peer.
std::vector<std::uint8_t> encode_error(const Error& error);

}  // namespace pma::wire
