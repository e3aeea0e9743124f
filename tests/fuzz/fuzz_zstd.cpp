// Fuzz target: wire::zstd_decompress (batch and member page payloads) under a size cap
// (input layout: fuzz_inputs.h). Properties: no throw; an accepted payload fits the cap and
// survives compress/decompress; "zstd_garbled" or "zstd_too_large" otherwise; any input
// compresses and decompresses back to itself.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sync/wire/compression.h"
#include "tests/fuzz/fuzz_check.h"

using pma::fuzz::check;
using namespace pma::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const std::uint8_t cap_byte = in.u8();
  const std::size_t cap = cap_byte == 0 ? kDefaultMaxDecompressed : cap_byte * 256u;
  const auto input = pma::fuzz::as_bytes(in.rest());

  auto out = zstd_decompress(input, cap);
  if (out) {
    check(out->size() <= cap, fmt::format("{} bytes inflated past the cap {}", out->size(), cap));
    auto round = zstd_decompress(zstd_compress(*out), cap);
    check(round && *round == *out, "an inflated payload does not survive compression");
  } else {
    pma::fuzz::check_error(out.error(), {"zstd_garbled", "zstd_too_large"}, "zstd_decompress");
  }
  auto round = zstd_decompress(zstd_compress(input), input.size());
  check(round && std::equal(round->begin(), round->end(), input.begin(), input.end()),
        "compress/decompress changes the input");
  return 0;
}
