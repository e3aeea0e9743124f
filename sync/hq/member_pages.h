// Member pages out: members changed since a cursor, with the terminal's watermark and the
// newest rule set (the server's pull frames). Used from one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/net/tls.h"

namespace pma::hq {

using net::TerminalIdentity;

class MemberPages {
 public:
  virtual ~MemberPages() = default;

  // Up to max_members members changed after cursor, in version order, with the terminal's
  // watermark, and the newest rule set when newer than rule_set_version. now_ms (UTC) places
  // the rolling 12-month spend window.
  virtual Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal,
                                                  std::uint64_t cursor, std::uint32_t max_members,
                                                  std::int64_t rule_set_version,
                                                  std::int64_t now_ms) = 0;
};

}  // namespace pma::hq
