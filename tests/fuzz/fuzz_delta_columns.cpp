// Fuzz target: the columnar checkout form of a Batch (wire/delta_columns.h), fed the
// uncompressed Batch bytes so mutations reach the columns rather than zstd.
// Properties: no throw; unpack_checkouts either fails with "batch_garbled" or leaves plain
// deltas in strictly increasing seq order and no columns; pack/unpack of the result restores
// it exactly; nothing a row refers to allocates more than the input could describe.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

#include "pma/v1/sync.pb.h"
#include "sync/wire/delta_columns.h"
#include "tests/fuzz/fuzz_check.h"

using pma::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::v1::Batch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  const bool had_columns = batch.has_checkouts();
  auto ok = pma::wire::unpack_checkouts(batch);
  if (!ok) {
    pma::fuzz::check_error(ok.error(), {"batch_garbled"}, "unpack_checkouts");
    return 0;
  }
  check(!batch.has_checkouts(), "columns left after unpacking");
  if (had_columns) {
    for (int i = 1; i < batch.deltas_size(); ++i) {
      check(batch.deltas(i).seq() > batch.deltas(i - 1).seq(),
            fmt::format("unpacked seqs not increasing at {}", i));
    }
  }
  // Every id the columns describe is short: a dictionary entry is a prefix from the input and
  // at most 20 digits, never a string the input did not pay for.
  for (const auto& delta : batch.deltas()) {
    check(delta.txn_id().size() <= size + 20, "a txn id longer than its input allows");
    check(delta.checkout().member_id().size() <= size + 20,
          "a member id longer than its input allows");
  }
  const std::string unpacked = batch.SerializeAsString();
  pma::v1::Batch packed = batch;
  pma::wire::pack_checkouts(packed);
  auto again = pma::wire::unpack_checkouts(packed);
  check(again.has_value(),
        fmt::format("a packed batch does not unpack: {}", again ? "" : again.error().message));
  check(packed.SerializeAsString() == unpacked, "pack/unpack changes an unpacked batch");
  return 0;
}
