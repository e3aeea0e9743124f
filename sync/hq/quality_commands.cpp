// QualityCommands: parse, call SqliteMemberQuality, print.
#include "sync/hq/quality_commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sync/hq/pg_open.h"
#include "sync/hq/sqlite_member_quality.h"
#include "sync/hq/sqlite_sink.h"

namespace pma::hq {

namespace {

int failed(const Error& error) {
  spdlog::error("{}: {}", error.code, error.message);
  return error.code == "member_not_found" || error.code == "merge_refused" ||
                 error.code == "member_erased"
             ? 2
             : 1;
}

std::string utc(std::int64_t ms) {
  const auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

QualityCommands::QualityCommands(CLI::App& app) {
  auto* consent = app.add_subcommand(
      "consent",
      "record a member's marketing consent (PIPL): campaigns reach only consenting "
      "members");
  consent->require_subcommand(1);
  grant_ = consent->add_subcommand("grant", "the member consents to marketing");
  withdraw_ = consent->add_subcommand("withdraw", "the member withdraws marketing consent");
  for (auto* sub : {grant_, withdraw_}) {
    sub->add_option("MEMBER_ID", member_id_, "HQ member id (or a till's provisional id)")
        ->required();
    sub->add_option("--db", db_path_)->capture_default_str();
  }
  merge_ = app.add_subcommand(
      "merge",
      "merge duplicate member FROM into INTO: points, spend, coupons and history move "
      "exactly; FROM stays an alias of INTO");
  merge_->add_option("FROM", member_id_, "the duplicate (its row becomes a tombstone)")->required();
  merge_->add_option("INTO", into_id_, "the member that survives")->required();
  merge_->add_option("--db", db_path_)->capture_default_str();
  CLI::App* report = nullptr;
  try {
    report = app.get_subcommand("report");
  } catch (const CLI::OptionNotFound&) {
    report = app.add_subcommand("report", "reports on the member base");
    report->require_subcommand(1);
  }
  quality_ = report->add_subcommand(
      "quality", "phones missing or invalid, duplicates merged, field completeness, consent");
  quality_->add_option("--db", db_path_)->capture_default_str();
}

std::optional<int> QualityCommands::run(const pma::Clock& clock) {
  if (!grant_->parsed() && !withdraw_->parsed() && !merge_->parsed() && !quality_->parsed()) {
    return std::nullopt;
  }
  // Consent, merges and the quality report have a SQLite implementation only so far: a
  // postgresql:// --db must not become a SQLite file of that name.
  if (is_postgresql_uri(db_path_)) {
    return failed(Error{"sink_unsupported",
                        "consent, merge and report quality run on a SQLite HQ only in this "
                        "release; --db names a PostgreSQL database"});
  }
  auto sink = SqliteSink::open(db_path_);
  if (!sink) return failed(sink.error());
  SqliteMemberQuality quality((*sink)->core());
  if (grant_->parsed() || withdraw_->parsed()) {
    const bool granted = grant_->parsed();
    const std::int64_t now = clock.now_ms();
    auto done = quality.set_consent(member_id_, granted, now, kConsentByOperator);
    if (!done) return failed(done.error());
    fmt::print("member {}: marketing consent {} at {}{}\n", done->member_id,
               granted ? "granted" : "withdrawn", utc(now),
               done->changed ? fmt::format("; version {} takes it to every till", done->version)
                             : " (unchanged: it already was so)");
    return 0;
  }
  if (merge_->parsed()) {
    auto done = quality.merge(member_id_, into_id_, clock.now_ms());
    if (!done) return failed(done.error());
    fmt::print("{}", format_merge_report(*done));
    return 0;
  }
  auto report = quality.quality_report();
  if (!report) return failed(report.error());
  fmt::print("{}", format_quality_report(*report));
  return 0;
}

}  // namespace pma::hq
