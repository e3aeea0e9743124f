// Reading a number straight from a SQLite file through a connection of its own, as tests do to
// check what HQ (or an earlier release) left on disk. One call, one short-lived connection; any
// thread that may open the file.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "drivers/sqlite/database.h"

namespace pma::test {

// The first column of the first row of `sql` on the file at `path`; nullopt: no row. Fails the
// test when the file cannot be opened or the query cannot run.
inline std::optional<std::int64_t> first_int(const std::string& path, const std::string& sql) {
  auto db = pma::sqlite::Database::open(path);
  REQUIRE(db);
  auto q = (*db)->prepare(sql);
  REQUIRE(q);
  auto row = q->step();
  REQUIRE(row);
  if (!*row) return std::nullopt;
  return q->column_int64(0);
}

}  // namespace pma::test
