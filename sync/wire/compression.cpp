// The only file that includes zstd.h.
#include "sync/wire/compression.h"

#include <fmt/format.h>
#include <zstd.h>

#include <memory>

namespace pma::wire {

std::vector<std::uint8_t> zstd_compress(std::span<const std::uint8_t> input, int level) {
  std::vector<std::uint8_t> out(ZSTD_compressBound(input.size()));
  std::size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), level);
  // Compressing into a ZSTD_compressBound buffer cannot fail short of memory exhaustion.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::vector<std::uint8_t>> zstd_decompress(std::span<const std::uint8_t> input,
                                                  std::size_t max_size) {
  unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return fail("zstd_garbled",
                fmt::format("payload of {} bytes is not a zstd frame", input.size()));
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_size) {
    return fail("zstd_too_large",
                fmt::format("zstd frame declares {} bytes, the limit is {}", declared, max_size));
  }
  std::vector<std::uint8_t> out;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN) {
    out.resize(static_cast<std::size_t>(declared));
    std::size_t n = ZSTD_decompress(out.data(), out.size(), input.data(), input.size());
    if (ZSTD_isError(n) || n != out.size()) {
      return fail("zstd_garbled",
                  fmt::format("corrupt zstd payload of {} bytes: {}", input.size(),
                              ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch"));
    }
    return out;
  }
  // Unknown content size: stream with a running cap.
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::vector<std::uint8_t> chunk(ZSTD_DStreamOutSize());
  std::size_t rc = 1;
  for (;;) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    rc = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(rc)) {
      return fail("zstd_garbled", fmt::format("corrupt zstd payload: {}", ZSTD_getErrorName(rc)));
    }
    if (out.size() + o.pos > max_size) {
      return fail("zstd_too_large", fmt::format("zstd payload exceeds {} bytes", max_size));
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(o.pos));
    if (rc == 0) break;  // the frame is complete
    // All input read and the output not full: the decoder needs bytes that never came. (A full
    // output means more is buffered inside the decoder: go round again.)
    if (in.pos == in.size && o.pos < o.size) break;
  }
  if (rc != 0) return fail("zstd_garbled", "zstd payload is truncated");
  if (in.pos != in.size) {
    return fail("zstd_garbled", fmt::format("{} bytes follow the zstd frame", in.size - in.pos));
  }
  return out;
}

}  // namespace pma::wire
