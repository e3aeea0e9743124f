#include "sync/hq/sqlite_sink.h"

namespace pma::hq {

Result<std::unique_ptr<SqliteSink>> SqliteSink::open(const std::string& path,
                                                     const std::string& synchronous) {
  PMA_TRY_ASSIGN(auto core, SqliteCore::open(path, synchronous));
  return std::unique_ptr<SqliteSink>(new SqliteSink(std::move(core)));
}

}  // namespace pma::hq
