// memberctl import: reads members from CSV (with a header row) or JSON lines and validates every
// row by the rule HQ's import uses (pma/member_import.h), and writes the good ones in one
// transaction per chunk. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/store/member_store.h"
#include "drivers/codes/classify.h"

namespace pma::admin {

enum class ImportFormat { kAuto, kCsv, kJsonLines };

struct RowError {
  std::int64_t line = 0;
  std::string reason;
};

struct ImportReport {
  std::int64_t imported = 0;
  std::int64_t rejected = 0;
  std::vector<RowError> errors;  // the first max_errors rejected rows, by line
};

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;  // auto: ".csv" is CSV, anything else JSON lines
  std::int64_t chunk_rows = 5000;
  std::size_t max_errors = 1000;
  // A CSV header without a phone column is refused ("import_bad_header"): members imported
  // without phones are found by card only, which a missing or misnamed column would do
  // silently. true: such a file is meant (memberctl import --without-phones).
  bool without_phones = false;
  // The till's [codes] rules: a card_no they would not classify as a card is a bad row (no
  // scan could ever find that member by it).
  codes::CodeRules card_rules;
  // Called after each chunk with the bytes read so far and the file size.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Imports a file. Errors only for the file as a whole ("import_unreadable", "import_bad_header"
// for a CSV without a proper header or, unless without_phones, without a phone column, a
// database failure); bad rows are counted and reported in ImportReport by the line they start
// on, a row clashing with another member naming the field and that member.
Result<ImportReport> import_members(const std::string& path, store::Database& db,
                                    store::MemberStore& members, std::int64_t now,
                                    const ImportOptions& options = {});

}  // namespace pma::admin
