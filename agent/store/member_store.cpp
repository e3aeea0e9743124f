#include "agent/store/member_store.h"

#include <fmt/format.h>

#include "agent/store/migrations.h"

namespace pma::store {

namespace {

constexpr std::string_view kColumns =
    "member_id, card_no, phone_masked, name, birthday, tier, hq_points, hq_version";

// The member other than `member_id` whose `column` holds the value bound by `bind`, if any.
template <typename Bind>
Result<std::optional<std::string>> holder_of(Database& db, std::string_view column,
                                             const std::string& member_id, Bind bind) {
  PMA_TRY_ASSIGN(auto stmt,
                 db.prepare(fmt::format(
                     "SELECT member_id FROM members WHERE {} = ?1 AND member_id <> ?2", column)));
  bind(stmt);
  stmt.bind(2, member_id);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<std::string>();
  return stmt.column_text(0);
}

// A refused upsert's reason for people: which field clashed with which member, never the SQL
// (the API answers it and memberctl import prints it; neither names the phone number).
Status conflict(Database& db, const MemberUpsert& member, const std::optional<PhoneHash>& hash,
                const Error& constraint) {
  if (!member.card_no.empty()) {
    PMA_TRY_ASSIGN(auto holder, holder_of(db, "card_no", member.member_id,
                                          [&](Statement& s) { s.bind(1, member.card_no); }));
    if (holder) {
      return fail("member_conflict",
                  fmt::format("card number already belongs to member {}", *holder));
    }
  }
  if (hash) {
    auto holder =
        holder_of(db, "phone_hash", member.member_id, [&](Statement& s) { s.bind_blob(1, *hash); });
    if (!holder) return std::unexpected(holder.error());
    if (*holder) {
      return fail("member_conflict",
                  fmt::format("phone number already belongs to member {}", **holder));
    }
  }
  return std::unexpected(constraint);  // another constraint: not a member conflict
}

}  // namespace

Result<std::optional<MemberRecord>> MemberStore::finish(Statement& stmt, std::int64_t now) {
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<MemberRecord>();
  MemberRecord m;
  m.member_id = stmt.column_text(0);
  m.card_no = stmt.column_text(1);
  m.phone_masked = stmt.column_text(2);
  m.name = stmt.column_text(3);
  m.birthday = stmt.column_text(4);
  m.tier = static_cast<int>(stmt.column_int64(5));
  m.hq_points = stmt.column_int64(6);
  m.hq_version = stmt.column_int64(7);

  PMA_TRY_ASSIGN(
      auto local,
      db_.prepare(
          "SELECT COALESCE(SUM(points), 0) FROM ledger WHERE member_id = ?1 AND hq_reflected = 0"));
  local.bind(1, m.member_id);
  PMA_TRY(local.step());
  m.points = m.hq_points + local.column_int64(0);

  PMA_TRY_ASSIGN(
      auto coupons,
      db_.prepare(
          "SELECT code, template_id, title, valid_until FROM coupons "
          "WHERE member_id = ?1 AND state = 'issued' AND valid_from <= ?2 AND valid_until > ?2 "
          "ORDER BY valid_until"));
  coupons.bind_all(m.member_id, now);
  for (;;) {
    PMA_TRY_ASSIGN(auto c, coupons.step());
    if (!c) break;
    m.coupons.push_back(CouponRecord{coupons.column_text(0), coupons.column_text(1),
                                     coupons.column_text(2), coupons.column_int64(3)});
  }
  return std::optional<MemberRecord>(std::move(m));
}

Result<std::optional<MemberRecord>> MemberStore::find_by_card(std::string_view card_no,
                                                              std::int64_t now) {
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare(fmt::format("SELECT {} FROM members WHERE card_no = ?1", kColumns)));
  stmt.bind(1, card_no);
  return finish(stmt, now);
}

Result<std::optional<MemberRecord>> MemberStore::find_by_phone(std::string_view normalized_phone,
                                                               std::int64_t now) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare(fmt::format("SELECT {} FROM members WHERE phone_hash = ?1",
                                                    kColumns)));
  PhoneHash hash = hasher_.hash(normalized_phone);
  stmt.bind_blob(1, hash);
  return finish(stmt, now);
}

Result<std::optional<MemberRecord>> MemberStore::find_by_id(std::string_view member_id,
                                                            std::int64_t now) {
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare(fmt::format("SELECT {} FROM members WHERE member_id = ?1", kColumns)));
  stmt.bind(1, member_id);
  auto found = finish(stmt, now);
  if (!found || *found || !member_id.starts_with("P-")) return found;
  // A provisional id HQ has mapped since the POS read it still names its member (the record
  // carries the canonical id, which the caller books under).
  PMA_TRY_ASSIGN(
      auto alias,
      db_.prepare(fmt::format(
          "SELECT {} FROM members WHERE member_id = (SELECT member_id FROM member_aliases WHERE "
          "alias = ?1)",
          kColumns)));
  alias.bind(1, member_id);
  return finish(alias, now);
}

Status MemberStore::upsert(const MemberUpsert& member, std::int64_t now) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, tier, "
          "hq_points, hq_version, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
          "ON CONFLICT(member_id) DO UPDATE SET card_no = excluded.card_no, "
          "phone_hash = excluded.phone_hash, phone_masked = excluded.phone_masked, "
          "name = excluded.name, birthday = excluded.birthday, tier = excluded.tier, "
          "hq_points = excluded.hq_points, hq_version = excluded.hq_version, "
          "updated_at = excluded.updated_at"));
  stmt.bind(1, member.member_id);
  if (member.card_no.empty()) {
    stmt.bind(2, nullptr);
  } else {
    stmt.bind(2, member.card_no);
  }
  std::optional<PhoneHash> hash = member.phone_hash;
  if (member.phone) {
    hash = hasher_.hash(*member.phone);
    stmt.bind_blob(3, *hash).bind(4, mask_phone(*member.phone));
  } else if (member.phone_hash) {
    stmt.bind_blob(3, *member.phone_hash).bind(4, member.phone_masked);
  } else {
    stmt.bind(3, nullptr).bind(4, "");
  }
  stmt.bind(5, member.name).bind(6, member.birthday).bind(7, member.tier);
  stmt.bind(8, member.hq_points).bind(9, member.hq_version).bind(10, now);
  auto ok = stmt.run();
  if (!ok && ok.error().code == "sqlite_constraint") return conflict(db_, member, hash, ok.error());
  return ok;
}

Result<std::int64_t> MemberStore::count() {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT COUNT(*) FROM members"));
  PMA_TRY(stmt.step());
  return stmt.column_int64(0);
}

Result<std::unique_ptr<Database>> open_store(const std::string& path, const OpenOptions& options) {
  auto db = Database::open(path, options);
  if (!db) return db;
  if (!options.read_only) {
    PMA_TRY(migrate(**db));
  }
  return db;
}

}  // namespace pma::store
