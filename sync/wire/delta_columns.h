// The one place where upstream batches change shape on the wire: checkout deltas move into
// Batch.checkouts (pma.v1.CheckoutColumns) and back. Pure functions; thread-safe.
#pragma once

#include "pma/error.h"
#include "pma/v1/sync.pb.h"

namespace pma::wire {

// Moves batch's checkout deltas into batch.checkouts, leaving every other delta in
// batch.deltas. Leaves the batch as it is (all plain) when the columnar form could not restore
// it exactly: seqs not strictly increasing, or a checkout carrying fields this build does not
// know (unknown fields from a newer agent travel plain).
void pack_checkouts(pma::v1::Batch& batch);

// The reverse: rebuilds the plain deltas from batch.checkouts, merged with batch.deltas in seq
// order, and clears batch.checkouts. A batch without checkout columns is left as it is.
// Errors: "batch_garbled" (columns of different lengths, an index outside its dictionary,
// seqs that do not merge into a strictly increasing order, ...), naming what is wrong.
Status unpack_checkouts(pma::v1::Batch& batch);

}  // namespace pma::wire
