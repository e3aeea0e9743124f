// Where memberhq keeps the chain's state, as the four interfaces the server and the memberhq
// commands use, one header each: batches in (batch_ingest.h), member pages out
// (member_pages.h), online-first reservations (reservations.h) and administration
// (administration.h). A Sink is all four, so a second storage (PostgreSQL) can be written and
// tested piece by piece and still be handed over whole. Implementations are used from one
// thread (the server's io_context); not thread-safe.
#pragma once

#include "sync/hq/administration.h"
#include "sync/hq/batch_ingest.h"
#include "sync/hq/member_pages.h"
#include "sync/hq/reservations.h"

namespace pma::hq {

class Sink : public BatchIngest, public MemberPages, public Reservations, public Administration {
 public:
  ~Sink() override = default;
};

}  // namespace pma::hq
