#include "sync/hq/pg_sink.h"

namespace pma::hq {

Result<std::unique_ptr<PgSink>> PgSink::open(const std::string& uri) {
  PMA_TRY_ASSIGN(auto core, PgCore::open(uri));
  return std::unique_ptr<PgSink>(new PgSink(std::move(core)));
}

}  // namespace pma::hq
