#include "hq/sqlite_sink.h"

namespace pma::hq {

Result<std::unique_ptr<SqliteSink>> SqliteSink::open(const std::string& path,
                                                     const std::string& synchronous) {
  auto core = SqliteCore::open(path, synchronous);
  if (!core) return std::unexpected(core.error());
  return std::unique_ptr<SqliteSink>(new SqliteSink(std::move(*core)));
}

}  // namespace pma::hq
