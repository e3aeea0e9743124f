// SQLite's online backup API behind the wrapper: copies one database into another page by page
// while other connections keep committing. Thread-compatible (both connections on the caller's
// thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "drivers/sqlite/database.h"

namespace pma::sqlite {

// Pages copied so far and the source's page count, after each step.
using CopyProgressFn = std::function<void(std::int64_t pages_done, std::int64_t pages_total)>;

// Copies every page of src into dst, pages_per_step at a time (-1: all at once). Busy or locked
// steps are retried for 30 s; they are rare when the caller holds a read snapshot on src (so
// commits by other connections do not restart the copy) and dst is private.
// Errors: `code`, naming both files and SQLite's message.
Status copy_pages(Database& src, Database& dst, int pages_per_step, const CopyProgressFn& progress,
                  const std::string& code);

}  // namespace pma::sqlite
