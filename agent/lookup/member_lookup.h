// MemberLookup: the one path from a member code to a cached member, shared by the scan service
// (agent/scan) and the lookup API (agent/api/member_api). A code is classified once, by the
// chain's [codes] rules (codes::classify_code), and resolve() reads the cache by that kind
// alone: a scanned card is never tried as a phone, nor a phone as a card.
// Borrows the MemberStore and the MemberQrVerifier (its replay cache), which must outlive it.
// Not thread-safe: one instance on the io_context thread that owns the database.
#pragma once

#include <cstdint>
#include <string_view>

#include "agent/store/member_store.h"
#include "drivers/codes/classify.h"
#include "drivers/codes/member_qr_verifier.h"
#include "pma/error.h"
#include "pma/v1/api.pb.h"

namespace pma::lookup {

class MemberLookup {
 public:
  MemberLookup(store::MemberStore& members, codes::MemberQrVerifier& verifier,
               codes::CodeRules rules = {});

  // What a scanned string is, by the chain's rules. Errors: "code_unrecognised" (a message
  // that never echoes the input).
  Result<codes::MemberCode> classify(std::string_view scanned) const;

  // What a code the POS forwards or store IT types (LookupRequest.code) is: classified like a
  // scan; a code the rules take for no member code at all (a member id such as M00000001, a
  // card of an older numbering, a coupon code) counts as a card number, which resolve() also
  // tries as a member id. The value is trimmed of surrounding whitespace.
  codes::MemberCode classify_typed(std::string_view code) const;

  // The cached member `code` names, and how it matched ("member_qr", "phone", "card_no",
  // "member_id"). `now`: unix seconds (QR time steps, coupon validity). By kind:
  //   member_qr: verified offline (and recorded against replays), then read by member id;
  //   phone: normalised, then read by its keyed hash;
  //   card_number: read by card number, else by member id (a receipt or store IT names
  //     members by id; ids and card numbers never take each other's place: a card wins).
  // Errors: "unknown_member" (a message saying which key), "invalid_request" (empty value, or
  // a coupon code), "invalid_phone", every qr_* code of MemberQrVerifier::verify, storage errors.
  Result<pma::v1::LookupResponse> resolve(const codes::MemberCode& code, std::int64_t now);

  // The cached member with this id (a provisional id HQ mapped meanwhile included).
  // Errors: "unknown_member", storage errors.
  Result<pma::v1::LookupResponse> by_id(std::string_view member_id, std::int64_t now);

  const codes::CodeRules& rules() const { return rules_; }

 private:
  store::MemberStore& members_;
  codes::MemberQrVerifier& verifier_;
  codes::CodeRules rules_;
};

// The one place a cached member becomes the API's and the event stream's message.
pma::v1::Member to_proto(const store::MemberRecord& member);

}  // namespace pma::lookup
