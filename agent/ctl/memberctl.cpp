// memberctl: the local command line for store IT: status, lookup, import, sync, printers,
// scanners, backups and demo data. Talks to memberd over its local API, or to the database
// file directly for bulk work.
#include <CLI/CLI.hpp>

#include "agent/config/state_files.h"
#include "agent/ctl/backup_commands.h"
#include "agent/ctl/commands.h"
#include "drivers/printer/preview/glyph_font.h"

using namespace pma::ctl;

int main(int argc, char** argv) {
  CLI::App app{"memberctl: look after the POS member agent (memberd) on this till."};
  app.require_subcommand(1);
  std::string config_path, state_dir;
  app.add_option("-c,--config", config_path,
                 "memberd's TOML config (default: /etc/memberd/memberd.toml if present)");
  app.add_option("-s,--state-dir", state_dir, "memberd's state folder (overrides state.dir)");

  bool json = false;
  auto* status = app.add_subcommand("status", "show whether memberd is up, its cache and devices");
  status->add_flag("--json", json, "print the raw JSON for scripts");

  std::string code;
  auto* lookup = app.add_subcommand("lookup", "look a member up by card number, phone or code");
  lookup->add_option("CODE", code, "card number, phone number or scanned code")->required();
  lookup->add_flag("--json", json, "print the raw JSON");

  std::string file, format = "auto";
  std::size_t show_errors = 20;
  auto* import = app.add_subcommand(
      "import",
      "import members from CSV (header: member_id,card_no,phone,name,birthday,tier,"
      "points) or JSON lines; bad rows are reported with line numbers");
  import->add_option("FILE", file, "the file to import")->required()->check(CLI::ExistingFile);
  import->add_option("--format", format, "csv, jsonl or auto (by extension)")
      ->check(CLI::IsMember({"auto", "csv", "jsonl"}));
  import->add_option("--show-errors", show_errors, "how many bad rows to list (default 20)");
  bool without_phones = false;
  import->add_flag("--without-phones", without_phones,
                   "accept a CSV header without a phone column (members found by card only)");

  std::int64_t count = 1000, start = 0;
  std::uint64_t seed = 2026;
  std::string csv;
  auto* demo =
      app.add_subcommand("demo-seed", "create realistic synthetic members (demo, benchmarks)");
  demo->add_option("--members", count, "how many members (default 1000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  demo->add_option("--start", start, "index of the first member (default 0)");
  demo->add_option("--seed", seed, "generator seed (default 2026)");
  demo->add_option("--csv", csv, "write a CSV import file instead of the database");

  std::string backup_file;
  bool overwrite = false, force = false;
  auto* backup =
      app.add_subcommand("backup", "copy the agent's database to FILE while memberd keeps serving");
  backup->add_option("FILE", backup_file, "the backup file to write")->required();
  backup->add_flag("--overwrite", overwrite, "replace FILE if it exists");
  auto* restore =
      app.add_subcommand("restore",
                         "replace the database with a backup (stop memberd first); refuses another "
                         "store's backup unless --force");
  restore->add_option("FILE", backup_file, "the backup file")->required()->check(CLI::ExistingFile);
  restore->add_flag("--force", force, "restore even if the backup is from another store");

  auto* sync_cmd = app.add_subcommand("sync", "sync with HQ now and show the outcome");
  bool members_at_hq = false;
  sync_cmd->add_flag("--members-at-hq", members_at_hq,
                     "pair a till whose members were imported here: they were imported at HQ too");
  std::string printer_name = "receipt";
  auto* printer = app.add_subcommand("printer", "receipt printers");
  printer->require_subcommand(1);
  auto* printer_test = printer->add_subcommand("test", "print a test page");
  printer_test->add_option("NAME", printer_name, "the [[printer]] name (default receipt)");
  auto* scanner = app.add_subcommand("scanner", "barcode scanners");
  scanner->require_subcommand(1);
  auto* watch = scanner->add_subcommand("watch", "show scans live as the POS receives them");

  auto* qr = app.add_subcommand("qr", "dynamic member QR codes: test keys and codes for demos");
  qr->require_subcommand(1);
  std::string prefix, hq_key, member;
  std::uint32_t key_id = 1;
  std::int64_t valid_seconds = 86400;
  auto* keygen = qr->add_subcommand("keygen", "write an Ed25519 key pair PREFIX.key.pem/.pub.pem");
  keygen->add_option("PREFIX", prefix, "file name prefix, e.g. /etc/memberd/hq-1")->required();
  auto* mint = qr->add_subcommand("mint", "print a member QR text valid for the next 30-60 s");
  mint->add_option("--hq-key", hq_key, "HQ private key PEM (test key)")->required();
  mint->add_option("--key-id", key_id, "HQ key id the tills know it by (default 1)");
  mint->add_option("--member", member, "member id")->required();
  mint->add_option("--valid-seconds", valid_seconds, "credential lifetime (default 86400)");

  auto* receipt = app.add_subcommand("receipt", "member receipt blocks");
  receipt->require_subcommand(1);
  ReceiptPreviewOptions preview_options{.font = pma::printer::preview::kDefaultFontPath};
  auto* preview = receipt->add_subcommand(
      "preview",
      "draw what the printer prints for a member block (decoded from its ESC/POS bytes) as PNG");
  preview->add_option("--png", preview_options.png, "the picture to write (receipt-preview.png)");
  preview->add_option("--width", preview_options.width, "paper: 58 or 80 (mm; default 58)")
      ->check(CLI::IsMember({"58", "80", "58mm", "80mm"}));
  auto* preview_job = preview->add_option("--job", preview_options.job_file,
                                          "a PrintReceiptRequest JSON file (the body of POST "
                                          "/v1/print) instead of the demo receipt");
  preview
      ->add_option("--escpos", preview_options.escpos_file,
                   "a file of raw ESC/POS bytes (e.g. a render's escpos, base64-decoded)")
      ->excludes(preview_job);
  preview->add_option("--font", preview_options.font, "the CJK font (fonts-wqy-microhei)");

  PosTokenAction pos_token_action;
  auto* pos_token = app.add_subcommand(
      "pos-token",
      "tokens for browser tills, each bound to one origin of api.allowed_origins (list them "
      "without options)");
  auto* pos_origin = pos_token->add_option(
      "--origin", pos_token_action.origin,
      "make a token for this origin (exactly as the page's Origin: https://pos.example.com)");
  pos_token
      ->add_option("--revoke", pos_token_action.revoke,
                   "revoke the token ID, or every token of ORIGIN")
      ->excludes(pos_origin);
  bool pos_token_list = false;
  pos_token->add_flag("--list", pos_token_list, "list the tokens (the default)");
  pos_token->add_flag("--json", pos_token_action.json, "print the list as JSON");

  app.footer(
      "Examples:\n"
      "  memberctl status\n"
      "  memberctl lookup 13812345678\n"
      "  memberctl import members.csv\n"
      "  memberctl --state-dir ./state demo-seed --members 100000\n"
      "  memberctl qr keygen ./hq-1 && memberctl qr mint --hq-key ./hq-1.key.pem --member "
      "M00000001\n"
      "  memberctl pos-token --origin https://pos.example.com\n"
      "  memberctl receipt preview --width 80 --png receipt.png\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*keygen) return cmd_qr_keygen(prefix);
  if (*preview) return cmd_receipt_preview(preview_options);
  if (*mint) return cmd_qr_mint(hq_key, key_id, member, valid_seconds);
  auto config = pma::config::load_effective_config(config_path, state_dir);
  if (!config) return report_error(config.error());
  if (*status) return cmd_status(*config, json);
  if (*lookup) return cmd_lookup(*config, code, json);
  if (*import) return cmd_import(*config, file, format, show_errors, without_phones);
  if (*demo) return cmd_demo_seed(*config, count, start, seed, csv);
  if (*sync_cmd) return cmd_sync(*config, members_at_hq);
  if (*backup) return pma::ctl::cmd_backup(*config, backup_file, overwrite);
  if (*restore) return pma::ctl::cmd_restore(*config, backup_file, force);
  if (*printer_test) return cmd_printer_test(*config, printer_name);
  if (*watch) return cmd_scanner_watch(*config);
  if (*pos_token) return cmd_pos_token(*config, pos_token_action);
  return 2;
}
