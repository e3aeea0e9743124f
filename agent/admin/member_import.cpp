#include "agent/admin/member_import.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "pma/member_import.h"

namespace pma::admin {

Result<ImportReport> import_members(const std::string& path, store::Database& db,
                                    store::MemberStore& members, std::int64_t now,
                                    const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("import_unreadable", fmt::format("cannot read '{}'", path));
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(path, ec);
  ImportFormat format = options.format;
  if (format == ImportFormat::kAuto) {
    format = path.ends_with(".csv") ? ImportFormat::kCsv : ImportFormat::kJsonLines;
  }
  // The reader and the row rule are HQ's too (pma/member_import.h): the same file gives the
  // same members at HQ and here.
  pma::MemberImportReader reader(
      in, format == ImportFormat::kCsv ? pma::ImportFormat::csv : pma::ImportFormat::json_lines);

  ImportReport report;
  auto reject = [&](std::int64_t line, std::string reason) {
    ++report.rejected;
    if (report.errors.size() < options.max_errors)
      report.errors.push_back({line, std::move(reason)});
  };

  std::int64_t in_chunk = 0;
  std::optional<store::Transaction> tx;
  auto finish_chunk = [&]() -> Status {
    if (tx) {
      if (auto ok = tx->commit(); !ok) return ok;
      tx.reset();
    }
    in_chunk = 0;
    if (options.progress) options.progress(reader.bytes_read(), total);
    return {};
  };

  for (bool first = true;; first = false) {
    auto record = reader.next();
    if (!record) return std::unexpected(record.error());  // import_bad_header
    if (first && format == ImportFormat::kCsv && !options.without_phones &&
        !reader.names_column("phone")) {
      return fail("import_bad_header",
                  "the CSV header has no 'phone' column, so every member would be found by "
                  "card only; add the column (it may be empty in some rows), or import with "
                  "--without-phones if that is meant");
    }
    if (!*record) break;
    const std::int64_t line = (*record)->line;
    if (!(*record)->row) {
      reject(line, (*record)->row.error().message);
      continue;
    }
    auto row = pma::validate_import_row(*(*record)->row);
    if (!row) {
      reject(line, row.error().message);
      continue;
    }
    if (auto card = codes::check_card_number(row->card_no, options.card_rules); !card) {
      reject(line, "card_no: " + card.error().message);
      continue;
    }
    store::MemberUpsert member{.member_id = row->member_id,
                               .card_no = row->card_no,
                               .name = row->name,
                               .birthday = row->birthday,
                               .tier = row->tier,
                               .hq_points = row->points};
    if (!row->phone.empty()) member.phone = row->phone;
    if (!tx) {
      PMA_TRY_ASSIGN(auto begun, store::Transaction::begin(db));
      tx.emplace(std::move(begun));
    }
    if (auto ok = members.upsert(member, now); !ok) {
      if (ok.error().code != "member_conflict") return std::unexpected(ok.error());
      reject(line, ok.error().message);  // names the field and the member holding it
      continue;
    }
    ++report.imported;
    if (++in_chunk >= options.chunk_rows) {
      PMA_TRY(finish_chunk());
    }
  }
  PMA_TRY(finish_chunk());
  return report;
}

}  // namespace pma::admin
