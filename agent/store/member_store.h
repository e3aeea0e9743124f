// The member cache: lookups by card number, phone hash or member id, and upserts from HQ
// deltas, imports and registrations. Borrows the Database (which must outlive it);
// thread-compatible, like the Database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/sqlite.h"
#include "pma/phone.h"

namespace pma::store {

struct CouponRecord {
  std::string code;
  std::string template_id;
  std::string title;
  std::int64_t valid_until = 0;  // unix seconds, UTC
};

// A member as the cache knows it.
struct MemberRecord {
  std::string member_id;
  std::string card_no;
  std::string phone_masked;
  std::string name;
  std::string birthday;  // "MM-DD" or empty
  int tier = 1;          // pma.v1.Tier numbering: 1 normal, 2 silver, 3 gold
  std::int64_t hq_points = 0;
  std::int64_t hq_version = 0;
  // hq_points plus the local ledger entries HQ has not reflected yet.
  std::int64_t points = 0;
  std::vector<CouponRecord> coupons;  // usable now
};

// What an import, an HQ delta or a registration writes.
struct MemberUpsert {
  std::string member_id;
  std::string card_no;               // empty: none
  std::optional<std::string> phone;  // normalised 11 digits; hashed and masked here
  // Alternatively, the keyed hash and masked form as HQ sends them (used when phone is unset).
  std::optional<PhoneHash> phone_hash;
  std::string phone_masked;
  std::string name;
  std::string birthday;
  int tier = 1;
  std::int64_t hq_points = 0;
  std::int64_t hq_version = 0;
};

class MemberStore {
 public:
  MemberStore(Database& db, const PhoneHasher& hasher) : db_(db), hasher_(hasher) {}

  // Each returns nullopt when no member matches. now: unix seconds, for coupon validity.
  Result<std::optional<MemberRecord>> find_by_card(std::string_view card_no, std::int64_t now);
  Result<std::optional<MemberRecord>> find_by_phone(std::string_view normalized_phone,
                                                    std::int64_t now);
  // A provisional id ("P-...") HQ has mapped finds the canonical member (its record carries
  // the canonical id).
  Result<std::optional<MemberRecord>> find_by_id(std::string_view member_id, std::int64_t now);

  // Inserts or replaces by member_id. Runs inside the caller's transaction, if any.
  // Errors: "member_conflict" when the card number or phone belongs to another member, its
  // message naming the field and that member ("card number already belongs to member M1").
  Status upsert(const MemberUpsert& member, std::int64_t now);

  Result<std::int64_t> count();

 private:
  Result<std::optional<MemberRecord>> finish(Statement& stmt, std::int64_t now);

  Database& db_;
  const PhoneHasher& hasher_;
};

// Opens the database file and migrates it to the latest schema.
Result<std::unique_ptr<Database>> open_store(const std::string& path,
                                             const OpenOptions& options = {});

}  // namespace pma::store
