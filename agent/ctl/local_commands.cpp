// memberctl commands that work on the agent's files directly: import, demo data, QR test keys.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "agent/admin/demo_members.h"
#include "agent/admin/member_import.h"
#include "agent/ctl/commands.h"
#include "agent/ctl/progress_bar.h"
#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr.h"

namespace pma::ctl {

int cmd_import(const Config& config, const std::string& file, const std::string& format,
               std::size_t show_errors, bool without_phones) {
  if (config.sync.enabled()) {
    // HQ is the authority for a paired till's members: its next member page would replace
    // what an import wrote here, and other stores would never see the imported members.
    return report_error(
        {"import_at_hq",
         fmt::format("this till is paired with HQ ({}); import members at HQ instead: memberhq "
                     "import {} --db /var/lib/memberhq/memberhq.db (the till gets them at its "
                     "next sync)",
                     config.sync.hq_nodes().front().host, file)});
  }
  auto local = open_local_store(config);
  if (!local) return report_error(local.error());
  auto* db = &local->db;
  auto& members = *local->members;
  ProgressBar bar("importing");
  pma::admin::ImportOptions options;
  options.format = format == "csv"     ? pma::admin::ImportFormat::kCsv
                   : format == "jsonl" ? pma::admin::ImportFormat::kJsonLines
                                       : pma::admin::ImportFormat::kAuto;
  options.without_phones = without_phones;
  options.card_rules = config.codes.rules;  // a card must scan as one at this till
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.update(done, total, "bytes");
  };
  auto report = pma::admin::import_members(file, **db, members, unix_now(), options);
  bar.finish();
  if (!report) return report_error(report.error());
  std::cout << fmt::format("imported {} members, rejected {} rows\n", report->imported,
                           report->rejected);
  std::size_t shown = 0;
  for (const auto& e : report->errors) {
    if (shown++ >= show_errors) {
      std::cout << fmt::format("  ... and {} more (use --show-errors N)\n",
                               report->rejected - static_cast<std::int64_t>(show_errors));
      break;
    }
    std::cout << fmt::format("  line {}: {}\n", e.line, e.reason);
  }
  return report->rejected == 0 ? 0 : 3;
}

int cmd_demo_seed(const Config& config, std::int64_t count, std::int64_t start, std::uint64_t seed,
                  const std::string& csv) {
  pma::admin::DemoMemberGenerator generator(seed);
  if (!csv.empty()) {
    std::ofstream out(csv);
    if (!out) return report_error({"demo_seed", "cannot write " + csv});
    out << "member_id,card_no,phone,name,birthday,tier,points\n";
    static const char* kTiers[] = {"", "normal", "silver", "gold"};
    for (std::int64_t i = 0; i < count; ++i) {
      auto m = generator.make(start + i);
      out << fmt::format("{},{},{},{},{},{},{}\n", m.member_id, m.card_no, m.phone, m.name,
                         m.birthday, kTiers[m.tier], m.points);
    }
    std::cout << fmt::format("wrote {} demo members to {}\n", count, csv);
    return 0;
  }
  auto local = open_local_store(config);
  if (!local) return report_error(local.error());
  auto* db = &local->db;
  auto& members = *local->members;
  ProgressBar bar("seeding");
  auto ok = pma::admin::seed_demo_members(
      **db, members, start, count, seed, unix_now(), [&](std::int64_t done, std::int64_t total) {
        bar.update(static_cast<std::uint64_t>(done), static_cast<std::uint64_t>(total), "members");
      });
  bar.finish();
  if (!ok) return report_error(ok.error());
  std::cout << fmt::format("seeded {} demo members into {} ({} in the cache)\n", count,
                           config.database_path(), members.count().value_or(-1));
  return 0;
}

// Starts a sync through memberd and follows it until it ends.
int cmd_qr_keygen(const std::string& prefix) {
  auto key = pma::codes::Ed25519PrivateKey::generate();
  if (!key) return report_error(key.error());
  if (auto ok = key->write_pem_file(prefix + ".key.pem"); !ok) return report_error(ok.error());
  if (auto ok = key->public_key().write_pem_file(prefix + ".pub.pem"); !ok) {
    return report_error(ok.error());
  }
  std::cout << fmt::format(
      "wrote {0}.key.pem (keep secret) and {0}.pub.pem (for the tills' "
      "[codes.hq_keys])\n",
      prefix);
  return 0;
}

// Mints what a member app would show now: credential signed by HQ + current step signed by a
// fresh app key. For demos and tests only; real credentials come from HQ.
int cmd_qr_mint(const std::string& hq_key_file, std::uint32_t key_id, const std::string& member,
                std::int64_t valid_seconds) {
  auto hq = pma::codes::Ed25519PrivateKey::load_pem_file(hq_key_file);
  if (!hq) return report_error(hq.error());
  auto app = pma::codes::Ed25519PrivateKey::generate();
  if (!app) return report_error(app.error());
  std::int64_t now = unix_now();
  auto credential =
      pma::codes::issue_credential(*hq, key_id, member, app->public_key(), now + valid_seconds);
  if (!credential) return report_error(credential.error());
  auto qr = pma::codes::make_member_qr(*credential, *app, pma::codes::time_step_at(now));
  if (!qr) return report_error(qr.error());
  std::cout << *qr << "\n";
  return 0;
}

}  // namespace pma::ctl
