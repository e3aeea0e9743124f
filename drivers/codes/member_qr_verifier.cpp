#include "drivers/codes/member_qr_verifier.h"

#include <fmt/format.h>

namespace pma::codes {

MemberQrVerifier::MemberQrVerifier(std::size_t replay_capacity)
    : replay_capacity_(replay_capacity == 0 ? 1 : replay_capacity) {}

Status MemberQrVerifier::add_hq_key(std::uint32_t key_id, const Ed25519PublicKey& key) {
  if (key_id == 0) return fail("invalid_argument", "HQ key ids start at 1");
  auto it = hq_keys_.find(key_id);
  if (it != hq_keys_.end()) {
    if (it->second.raw() == key.raw()) return {};
    return fail("invalid_argument",
                fmt::format("HQ key id {} is already bound to a different key", key_id));
  }
  hq_keys_.emplace(key_id, key);
  return {};
}

void MemberQrVerifier::remove_hq_key(std::uint32_t key_id) { hq_keys_.erase(key_id); }

void MemberQrVerifier::revoke_credential(std::string_view credential_id) {
  revoked_credentials_.emplace(credential_id);
}

void MemberQrVerifier::revoke_app_key(std::string_view member_id, std::string_view app_public_key) {
  revoked_app_keys_.emplace(std::string(member_id), std::string(app_public_key));
}

Result<VerifiedMember> MemberQrVerifier::verify(std::string_view scanned, std::int64_t now) {
  auto parsed = parse_member_qr(scanned);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const ParsedMemberQr& qr = *parsed;

  auto key = hq_keys_.find(qr.hq_key_id);
  if (key == hq_keys_.end()) {
    return fail("qr_unknown_key",
                fmt::format("Member code signed by unknown HQ key {}; update this till's keys",
                            qr.hq_key_id));
  }
  if (!key->second.verify(qr.credential, qr.hq_signature)) {
    return fail("qr_forged", "Member code is not genuine (HQ signature invalid)");
  }
  std::string id = credential_id(qr.credential);
  if (revoked_credentials_.contains(id) ||
      revoked_app_keys_.contains(std::make_pair(qr.member_id, qr.app_public_key))) {
    return fail("qr_revoked", "Member code revoked; ask the member to log in to the app again");
  }
  if (now >= qr.expires_at) {
    return fail("qr_expired", "Member code expired; ask the member to log in to the app again");
  }
  // A malformed key cannot be loaded; HQ signed it, so treat it as a bad app signature.
  auto app_key = Ed25519PublicKey::from_raw(qr.app_public_key);
  if (!app_key ||
      !app_key->verify(app_signed_message(qr.credential, qr.time_step), qr.app_signature)) {
    return fail("qr_app_signature_bad", "Member code is not genuine (app signature invalid)");
  }
  const std::uint64_t step = time_step_at(now);
  // Differences, not sums: a hostile step near 2^64 must not wrap around.
  if (qr.time_step < step && step - qr.time_step > kStepTolerance) {
    return fail("qr_time_step", "Member code is out of date; ask the member to refresh it");
  }
  if (qr.time_step > step && qr.time_step - step > kStepTolerance) {
    return fail("qr_time_step",
                "Member code time is ahead; ask the member to refresh it and check the phone "
                "clock");
  }
  const std::uint64_t oldest = step > kStepTolerance ? step - kStepTolerance : 0;
  forget_before(oldest);
  const auto replayed = [] {
    return fail("qr_replayed", "Member code already used; ask the member to refresh it");
  };
  if (auto seen = last_step_.find(id); seen != last_step_.end()) {
    if (qr.time_step <= seen->second) return replayed();
  } else if (replay_store_ != nullptr) {
    // Not in memory: accepted before a restart, or evicted from a full cache.
    auto stored = replay_store_->last_step(id, oldest);
    if (!stored) {
      return fail("qr_replay_store",
                  "Member code cannot be checked now (the till's database failed); try again");
    }
    if (*stored && qr.time_step <= **stored) {
      remember(id, **stored);
      return replayed();
    }
  }
  // Recorded durably first: a code accepted but not recorded could be used again after a
  // restart.
  if (replay_store_ != nullptr) {
    if (auto ok = replay_store_->record(id, qr.time_step, oldest); !ok) {
      return fail("qr_replay_store",
                  "Member code cannot be checked now (the till's database failed); try again");
    }
  }
  remember(id, qr.time_step);

  VerifiedMember member;
  member.member_id = qr.member_id;
  member.credential_id = std::move(id);
  member.app_public_key = qr.app_public_key;
  member.expires_at = qr.expires_at;
  member.hq_key_id = qr.hq_key_id;
  member.time_step = qr.time_step;
  return member;
}

void MemberQrVerifier::forget_before(std::uint64_t step) {
  while (!by_step_.empty() && by_step_.begin()->first < step) {
    last_step_.erase(by_step_.begin()->second);
    by_step_.erase(by_step_.begin());
  }
}

void MemberQrVerifier::remember(const std::string& credential_id, std::uint64_t step) {
  if (auto it = last_step_.find(credential_id); it != last_step_.end()) {
    by_step_.erase({it->second, credential_id});
    it->second = step;
  } else {
    while (last_step_.size() >= replay_capacity_) {
      last_step_.erase(by_step_.begin()->second);
      by_step_.erase(by_step_.begin());
    }
    last_step_.emplace(credential_id, step);
  }
  by_step_.emplace(step, credential_id);
}

}  // namespace pma::codes
