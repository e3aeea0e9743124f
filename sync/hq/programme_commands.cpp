#include "sync/hq/programme_commands.h"

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>

namespace pma::hq {

struct ProgrammeCommands {
  CLI::App* issue = nullptr;
  CLI::App* revoke = nullptr;
  CLI::App* list = nullptr;
  CLI::App* counts = nullptr;
  CLI::App* tag_add = nullptr;
  CLI::App* tag_remove = nullptr;
  CLI::App* segments_run = nullptr;
  CLI::App* report_segments = nullptr;
  std::string template_id, key, member, members_file, tier, store, segment, tag;
  std::string code, tag_member, tag_name;
  std::int32_t report_days = 0;
};

namespace {

int report(const pma::Error& error) {
  spdlog::error("{}: {}", error.code, error.message);
  return error.code == "member_not_found" || error.code == "coupon_not_found" ? 2 : 1;
}

std::string utc_date(std::int64_t s) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(s)));
}

Result<CouponTarget> target_of(const ProgrammeCommands& c) {
  using Kind = CouponTarget::Kind;
  if (!c.member.empty()) return CouponTarget{Kind::member, c.member, {}};
  if (!c.tier.empty()) return CouponTarget{Kind::tier, c.tier, {}};
  if (!c.store.empty()) return CouponTarget{Kind::store, c.store, {}};
  if (!c.segment.empty()) return CouponTarget{Kind::segment, c.segment, {}};
  if (!c.tag.empty()) return CouponTarget{Kind::tag, c.tag, {}};
  std::ifstream in(c.members_file);
  if (!in) {
    return fail("coupon_members_file", fmt::format("cannot read {}", c.members_file));
  }
  CouponTarget target{Kind::members, "", {}};
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line.front() != '#') target.members.push_back(line);
  }
  return target;
}

int issue(const ProgrammeCommands& c, Programme& programme, const pma::Clock& clock) {
  auto target = target_of(c);
  if (!target) return report(target.error());
  auto done = programme.issue_coupons({c.template_id, c.key, *target, clock.now_ms()});
  if (!done) return report(done.error());
  for (const auto& id : done->skipped) {
    spdlog::warn("member {} is not at HQ (or erased): skipped", id);
  }
  fmt::print("template {} key {}: {} issued, {} already issued, {} skipped\n", c.template_id, c.key,
             done->issued, done->already_issued, done->skipped.size());
  return 0;
}

int segments_run(Programme& programme, const pma::Clock& clock) {
  auto done = programme.run_segments(clock.now_ms(), [](std::uint64_t n, std::uint64_t total) {
    fmt::print(stderr, "segments: {}/{} members\n", n, total);
  });
  if (!done) return report(done.error());
  fmt::print("segments computed for {} member(s) over {} days; {} changed (sent to tills)\n",
             done->members, done->window_days, done->changed);
  return 0;
}

int report_segments(const ProgrammeCommands& c, Programme& programme, const pma::Clock& clock) {
  auto rows = programme.segment_report(clock.now_ms(), c.report_days);
  if (!rows) return report(rows.error());
  std::uint64_t members = 0;
  std::int64_t spend = 0;
  for (const auto& r : *rows) {
    members += r.members;
    spend += r.spend_fen;
  }
  auto percent = [](double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; };
  fmt::print("SEGMENT\tMEMBERS\tSHARE\tREVENUE_FEN\tREVENUE_SHARE\n");
  for (const auto& r : *rows) {
    fmt::print("{}\t{}\t{:.1f}%\t{}\t{:.1f}%\n", r.segment, r.members,
               percent(static_cast<double>(r.members), static_cast<double>(members)), r.spend_fen,
               percent(static_cast<double>(r.spend_fen), static_cast<double>(spend)));
  }
  fmt::print("{} member(s), {} fen\n", members, spend);
  return 0;
}

}  // namespace

std::shared_ptr<ProgrammeCommands> add_programme_commands(CLI::App& app, std::string& db_path) {
  auto c = std::make_shared<ProgrammeCommands>();
  auto* coupon = app.add_subcommand("coupon", "HQ coupons: issue, revoke, list, counts");
  coupon->require_subcommand(1);
  c->issue = coupon->add_subcommand(
      "issue", "issue a template's coupons, once per (key, member); re-running issues none");
  c->issue->add_option("--template", c->template_id, "coupon template id")->required();
  c->issue->add_option("--key", c->key, "operator or campaign key (idempotence)")->required();
  auto* group = c->issue->add_option_group("target", "who gets a coupon");
  group->add_option("--member", c->member, "one member id");
  group->add_option("--members", c->members_file, "file of member ids, one a line")
      ->check(CLI::ExistingFile);
  group->add_option("--tier", c->tier, "members of tier 1, 2 or 3 (as member pages show it)");
  group->add_option("--store", c->store, "members who bought at the store");
  group->add_option("--segment", c->segment, "members of the segment (last segments run)");
  group->add_option("--tag", c->tag, "members with the tag");
  group->require_option(1);
  c->revoke = coupon->add_subcommand("revoke", "revoke an issued coupon");
  c->revoke->add_option("CODE", c->code)->required();
  c->list = coupon->add_subcommand("list", "a member's coupons");
  c->list->add_option("--member", c->member)->required();
  c->counts = coupon->add_subcommand("counts", "per template: issued, redeemed, revoked");

  auto* tag = app.add_subcommand("tag", "manual member tags");
  tag->require_subcommand(1);
  c->tag_add = tag->add_subcommand("add", "give a member a tag");
  c->tag_remove = tag->add_subcommand("remove", "take a manual tag away");
  for (auto* sub : {c->tag_add, c->tag_remove}) {
    sub->add_option("MEMBER_ID", c->tag_member)->required();
    sub->add_option("TAG", c->tag_name)->required();
  }
  auto* segments = app.add_subcommand("segments", "RFM segments and rule tags");
  segments->require_subcommand(1);
  c->segments_run =
      segments->add_subcommand("run", "recompute every member's segment and rule tags");
  // `report` may exist already (QualityCommands adds `report quality`): join it.
  CLI::App* reports = nullptr;
  try {
    reports = app.get_subcommand("report");
  } catch (const CLI::OptionNotFound&) {
    reports = app.add_subcommand("report", "reports on the member base");
    reports->require_subcommand(1);
  }
  c->report_segments = reports->add_subcommand(
      "segments", "members per segment and each segment's share of revenue");
  c->report_segments
      ->add_option("--days", c->report_days, "revenue window in days (default: the segment window)")
      ->check(CLI::Range(1, 3650));
  for (auto* sub : {c->issue, c->revoke, c->list, c->counts, c->tag_add, c->tag_remove,
                    c->segments_run, c->report_segments}) {
    sub->add_option("--db", db_path)->capture_default_str();
  }
  return c;
}

bool programme_command_parsed(const ProgrammeCommands& c) {
  for (auto* sub : {c.issue, c.revoke, c.list, c.counts, c.tag_add, c.tag_remove, c.segments_run,
                    c.report_segments}) {
    if (sub->parsed()) return true;
  }
  return false;
}

int run_programme_command(const ProgrammeCommands& c, Programme& programme,
                          const pma::Clock& clock) {
  if (c.issue->parsed()) return issue(c, programme, clock);
  if (c.revoke->parsed()) {
    auto done = programme.revoke_coupon(c.code);
    if (!done) return report(done.error());
    if (done->already_revoked) {
      fmt::print("coupon {} was already revoked; nothing changed\n", c.code);
    } else {
      fmt::print("coupon {} of member {} revoked; its tills refuse it from their next sync\n",
                 c.code, done->member_id);
    }
    return 0;
  }
  if (c.list->parsed()) {
    auto coupons = programme.member_coupons(c.member);
    if (!coupons) return report(coupons.error());
    fmt::print("CODE\tTEMPLATE\tTITLE\tVALID_FROM\tVALID_UNTIL\tSTATE\n");
    for (const auto& k : *coupons) {
      fmt::print("{}\t{}\t{}\t{}\t{}\t{}\n", k.code, k.template_id, k.title, utc_date(k.valid_from),
                 utc_date(k.valid_until),
                 k.redeemed_store.empty() ? k.state : k.state + " at " + k.redeemed_store);
    }
    fmt::print("{} coupon(s)\n", coupons->size());
    return 0;
  }
  if (c.counts->parsed()) {
    auto counts = programme.coupon_counts();
    if (!counts) return report(counts.error());
    fmt::print("TEMPLATE\tISSUED\tREDEEMED\tREVOKED\n");
    for (const auto& t : *counts) {
      fmt::print("{}\t{}\t{}\t{}\n", t.template_id, t.issued, t.redeemed, t.revoked);
    }
    return 0;
  }
  if (c.tag_add->parsed() || c.tag_remove->parsed()) {
    const bool add = c.tag_add->parsed();
    auto changed = add ? programme.add_tag(c.tag_member, c.tag_name)
                       : programme.remove_tag(c.tag_member, c.tag_name);
    if (!changed) return report(changed.error());
    fmt::print("member {} {} tag \"{}\"{}\n", c.tag_member,
               *changed ? (add ? "now has" : "no longer has a manual")
                        : (add ? "already had" : "had no manual"),
               c.tag_name, *changed ? "; its tills learn it at their next sync" : "");
    return 0;
  }
  if (c.segments_run->parsed()) return segments_run(programme, clock);
  if (c.report_segments->parsed()) return report_segments(c, programme, clock);
  return 1;
}

}  // namespace pma::hq
