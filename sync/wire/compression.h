// zstd compression of frame payloads, behind our own small interface (the only file that
// includes <zstd.h> is compression.cpp). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pma/error.h"

namespace pma::wire {

// The default cap on a decompressed payload (guards against decompression bombs).
inline constexpr std::size_t kDefaultMaxDecompressed = 16u << 20;

std::vector<std::uint8_t> zstd_compress(std::span<const std::uint8_t> input, int level = 3);

// Errors: "zstd_garbled" (not a zstd frame, corrupt or truncated), "zstd_too_large" (the
// content would exceed max_size; checked from the frame header before allocating when known).
Result<std::vector<std::uint8_t>> zstd_decompress(std::span<const std::uint8_t> input,
                                                  std::size_t max_size = kDefaultMaxDecompressed);

}  // namespace pma::wire
