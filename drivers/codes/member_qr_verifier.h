// MemberQrVerifier: checks a scanned dynamic member QR offline with HQ's public keys.
// Not thread-safe (it keeps a replay cache, in memory and optionally in a ReplayStore): one
// instance per io_context thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr.h"
#include "pma/error.h"

namespace pma::codes {

// A member QR whose HQ and app signatures both verified.
struct VerifiedMember {
  std::string member_id;
  std::string credential_id;   // see credential_id()
  std::string app_public_key;  // raw 32 bytes
  std::int64_t expires_at = 0;
  std::uint32_t hq_key_id = 0;
  std::uint64_t time_step = 0;
};

// Where the verifier also keeps its replay cache so that a restart does not forget it (the
// agent implements it over its database; drivers cannot include the agent). Called on the
// verifier's thread only.
class ReplayStore {
 public:
  virtual ~ReplayStore() = default;
  // The highest time step recorded for `credential_id`, ignoring records below `min_step`
  // (expired); nullopt if none.
  virtual Result<std::optional<std::uint64_t>> last_step(std::string_view credential_id,
                                                         std::uint64_t min_step) = 0;
  // Records `step` as the highest accepted for `credential_id` (durably: it must survive a
  // crash right after) and drops records below `forget_before`, which can no longer pass.
  virtual Status record(std::string_view credential_id, std::uint64_t step,
                        std::uint64_t forget_before) = 0;
};

class MemberQrVerifier {
 public:
  // Time steps accepted either side of the till's own.
  static constexpr std::uint64_t kStepTolerance = 1;

  // `replay_capacity`: credentials remembered at most. Only codes within +/-1 step of now can
  // pass, so entries older than that are dropped first; if still full (thousands of members in
  // 90 s), the oldest entry is dropped.
  explicit MemberQrVerifier(std::size_t replay_capacity = 4096);

  // Trusts `key` for credentials naming `key_id`. Fails with "invalid_argument" for key id 0
  // or a key id already bound to a different key (rotation uses a new id).
  Status add_hq_key(std::uint32_t key_id, const Ed25519PublicKey& key);
  void remove_hq_key(std::uint32_t key_id);

  // Revocations from HQ: one credential (by credential_id()), or every credential binding this
  // member to this app key (the phone was lost or the app reinstalled).
  void revoke_credential(std::string_view credential_id);
  void revoke_app_key(std::string_view member_id, std::string_view app_public_key);

  // Verifies `scanned` at `now` (unix seconds) and, if it passes, records it so the same
  // credential cannot be used again at this or an earlier time step. Errors, checked in this
  // order, each with a short message for the cashier:
  //   qr_malformed, qr_unknown_key, qr_forged, qr_revoked, qr_expired, qr_app_signature_bad,
  //   qr_time_step, qr_replayed, qr_replay_store (set_replay_store: the store failed; the code
  //   is refused rather than accepted unrecorded).
  Result<VerifiedMember> verify(std::string_view scanned, std::int64_t now);

  // Also keeps the replay cache in `store` (nullptr: memory only), which must outlive this.
  // With a store, a credential the memory cache does not know (a restart, or evicted) is
  // looked up there, and an accepted code is recorded there before verify() returns it.
  void set_replay_store(ReplayStore* store) { replay_store_ = store; }

  std::size_t replay_entries() const { return last_step_.size(); }

 private:
  void forget_before(std::uint64_t step);
  void remember(const std::string& credential_id, std::uint64_t step);

  std::size_t replay_capacity_;
  ReplayStore* replay_store_ = nullptr;
  std::map<std::uint32_t, Ed25519PublicKey> hq_keys_;
  std::set<std::string, std::less<>> revoked_credentials_;
  std::set<std::pair<std::string, std::string>, std::less<>> revoked_app_keys_;
  // Replay cache: the highest time step accepted per credential, and the same entries ordered
  // by step so the stale ones are dropped first.
  std::unordered_map<std::string, std::uint64_t> last_step_;
  std::set<std::pair<std::uint64_t, std::string>> by_step_;
};

}  // namespace pma::codes
