// The quality and merge reports as memberhq prints them (member_quality.h).
#include "sync/hq/member_quality.h"

#include <fmt/format.h>

#include <cmath>

namespace pma::hq {

double percent(std::int64_t filled, std::int64_t total) {
  if (total <= 0) return 0.0;
  return std::round(1000.0 * static_cast<double>(filled) / static_cast<double>(total)) / 10.0;
}

double completeness(const QualityReport& r) {
  return percent(r.with_card + r.with_phone + r.with_name + r.with_birthday, 4 * r.members);
}

std::string format_quality_report(const QualityReport& r) {
  std::string out = fmt::format("members (neither erased nor merged)\t{}\n", r.members);
  out += fmt::format("phone missing\t{}\n", r.phone_missing);
  out += fmt::format("phone invalid\t{}\n", r.phone_invalid);
  out +=
      fmt::format("duplicates merged at registration (same phone)\t{}\n", r.merged_at_registration);
  out += fmt::format("duplicates merged manually (memberhq merge)\t{}\n", r.merged_manually);
  out += fmt::format("suspected duplicates (same name and birthday, not merged)\t{}\n",
                     r.suspected_duplicates);
  const std::pair<const char*, std::int64_t> fields[] = {{"card number", r.with_card},
                                                         {"phone", r.with_phone},
                                                         {"name", r.with_name},
                                                         {"birthday", r.with_birthday}};
  for (const auto& [name, filled] : fields) {
    out += fmt::format("complete: {}\t{} ({:.1f}%)\n", name, filled, percent(filled, r.members));
  }
  out += fmt::format("complete: all four fields\t{:.1f}%\n", completeness(r));
  out += fmt::format("without marketing consent\t{} ({:.1f}%)\n", r.without_consent,
                     percent(r.without_consent, r.members));
  return out;
}

std::string format_merge_report(const MergeReport& r) {
  std::string out = fmt::format("merged member {} into {}\n", r.from_id, r.into_id);
  out += fmt::format("points moved\t{}\n", r.points);
  out += fmt::format("spend moved (fen)\t{} over {} month(s)\n", r.spend_fen, r.spend_months);
  out += fmt::format("coupons moved\t{}\n", r.coupons);
  out += fmt::format("reservation holds moved\t{}\n", r.holds);
  out += fmt::format("sales moved (refundable history)\t{}\n", r.sales);
  out += fmt::format("provisional ids remapped\t{}\n", r.provisional_ids);
  out += fmt::format("older aliases remapped\t{}\n", r.aliases);
  std::string filled;
  for (const auto& f : r.fields_filled) filled += (filled.empty() ? "" : ", ") + f;
  out += fmt::format("fields taken from {}\t{}\n", r.from_id, filled.empty() ? "none" : filled);
  out += fmt::format("consent\t{}\n", r.consent_taken
                                          ? fmt::format("{}'s newer decision holds", r.from_id)
                                          : fmt::format("{}'s decision holds", r.into_id));
  out += fmt::format(
      "{} stays an alias of {}; version {} takes the merge to every till at its next sync\n",
      r.from_id, r.into_id, r.version);
  return out;
}

}  // namespace pma::hq
