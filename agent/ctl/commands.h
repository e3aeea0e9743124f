// Shared pieces of memberctl's commands: output helpers, the API client, the local store.
// Single-threaded command-line use.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/api/http_client.h"
#include "agent/config/config.h"
#include "agent/store/member_store.h"
#include "pma/v1/member.pb.h"
#include "pma/v1/receipt.pb.h"

namespace pma::ctl {

using config::Config;

std::int64_t unix_now();
// ANSI colour on a terminal (not when piped or NO_COLOR is set).
std::string paint(std::string_view text, std::string_view code);
// Prints "memberctl: <message> [<code>]" to stderr; returns exit status 1.
int report_error(const Error& e);
// A client for memberd's local API with the token from the config's token file.
Result<api::HttpClient> api_client(const Config& config);
// Parses an API reply into `message`, or turns an error body into an Error.
Status decode(const api::HttpReply& reply, google::protobuf::Message& message);
std::string tier_name(v1::Tier tier);
// One "  key   value" line of a status table.
void row(std::string_view key, std::string_view value);

// The agent's database opened directly (bulk work next to a running memberd; WAL allows it).
struct LocalStore {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<pma::PhoneHasher> hasher;
  std::unique_ptr<store::MemberStore> members;
};
Result<LocalStore> open_local_store(const Config& config);

// The commands (each returns the process exit status).
int cmd_status(const Config& config, bool json);
int cmd_lookup(const Config& config, const std::string& code, bool json);
// members_at_hq: first records that the members imported at this till were imported at HQ
// too, which lets a till holding them pair (SqliteSyncStore::check_pairing).
int cmd_sync(const Config& config, bool members_at_hq = false);
int cmd_printer_test(const Config& config, const std::string& name);
int cmd_scanner_watch(const Config& config);
// without_phones: accept a CSV header without a phone column (refused otherwise).
int cmd_import(const Config& config, const std::string& file, const std::string& format,
               std::size_t show_errors, bool without_phones);
int cmd_demo_seed(const Config& config, std::int64_t count, std::int64_t start, std::uint64_t seed,
                  const std::string& csv);
// memberctl pos-token: --origin makes a token (printed alone on stdout), --revoke revokes by id
// or origin, neither lists them.
struct PosTokenAction {
  std::string origin;
  std::string revoke;
  bool json = false;
};
int cmd_pos_token(const Config& config, const PosTokenAction& action);
// memberctl receipt preview: the member block as the printer prints it, written to `png`.
struct ReceiptPreviewOptions {
  std::string png = "receipt-preview.png";
  std::string width;        // "58" or "80"; empty: the job's paper, else 58 mm
  std::string job_file;     // a PrintReceiptRequest JSON (as POST /v1/print takes)
  std::string escpos_file;  // raw ESC/POS bytes instead
  std::string font;         // the CJK font file
};
int cmd_receipt_preview(const ReceiptPreviewOptions& options);
int cmd_qr_keygen(const std::string& prefix);
int cmd_qr_mint(const std::string& hq_key_file, std::uint32_t key_id, const std::string& member,
                std::int64_t valid_seconds);

}  // namespace pma::ctl
