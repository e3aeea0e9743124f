#include "hq/pg_sink.h"

namespace pma::hq {

Result<std::unique_ptr<PgSink>> PgSink::open(const std::string& uri) {
  auto core = PgCore::open(uri);
  if (!core) return std::unexpected(core.error());
  return std::unique_ptr<PgSink>(new PgSink(std::move(*core)));
}

}  // namespace pma::hq
