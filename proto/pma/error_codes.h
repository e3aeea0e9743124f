// The error-code catalogue: every stable code a pma::Error carries, with what it means; for the
// codes the local API answers, the HTTP status it answers them with; and the kinds of conflict
// memberhq records. One line per code, so a reader (and README's error table) finds each in one
// place; tests require every code the sources use to be listed here (tests/api/error_codes_test).
// Constant data; thread-safe.
#pragma once

#include <string_view>

namespace pma {

// Codes the local API can answer: X(code, HTTP status, meaning). README's error table lists
// exactly these, with the same status.
#define PMA_API_ERROR_CODES(X)                                                                 \
  /* admission and routing (agent/api) */                                                      \
  X(header_too_large, 431, "the request line and header fields exceed 16 KiB")                 \
  X(host_not_allowed, 421, "the Host is not 127.0.0.1, localhost, [::1] or api.listen")        \
  X(origin_not_allowed, 403, "the Origin is not listed in api.allowed_origins")                \
  X(missing_token, 401, "no bearer token (a query token counts on /v1/events only)")           \
  X(wrong_token, 401, "the bearer token is not this till's api-token")                         \
  /* browser tills: origin-bound tokens (agent/api/pos_tokens) */                              \
  X(token_origin_mismatch, 401, "an origin-bound token sent without its Origin or with another") \
  X(pos_token_forbidden, 403, "an origin-bound token cannot manage tokens")                    \
  X(invalid_origin, 400, "not an origin: scheme://host[:port], nothing after")                 \
  X(unknown_pos_token, 404, "no origin-bound token with this id or origin")                    \
  X(too_many_pos_tokens, 409, "100 origin-bound tokens exist; revoke unused ones")             \
  X(pos_tokens_file, 500, "<state>/pos-tokens cannot be written (nothing changed)")            \
  X(body_too_large, 413, "the body exceeds api.max_body_bytes")                                \
  X(too_many_connections, 503, "api.max_connections are open and none is idle; retry shortly") \
  X(bad_target, 400, "the request target is not a path and query (bad %-escape or character)") \
  X(not_found, 404, "no such endpoint")                                                        \
  X(method_not_allowed, 405, "the endpoint exists but not for this method")                    \
  X(internal, 500, "an unexpected failure (outcome unknown); see memberd's log")               \
  /* request bodies */                                                                         \
  X(bad_json, 400, "the body is not a JSON object, or a field has the wrong type or value")    \
  X(unknown_field, 400, "the body names a field the request message does not have")            \
  X(invalid_request, 400, "a required field is missing or empty, or too many coupon codes")    \
  X(invalid_phone, 400, "not a mainland mobile number (11 digits from 1, +86 allowed)")        \
  X(invalid_birthday, 400, "a birthday that is not MM-DD or no such day")                      \
  /* members */                                                                                \
  X(unknown_member, 404, "no member with this card number, phone number, code or id")          \
  X(member_conflict, 409, "the card number or phone already belongs to another member")        \
  X(member_erased, 409, "the member was erased at HQ (data protection request)")               \
  /* baskets and quotes (agent/loyalty) */                                                     \
  X(invalid_basket, 400, "a qty, unit price, sku or line count outside the basket's ranges")   \
  X(invalid_points, 400, "a negative number of points to burn")                                \
  X(amount_out_of_range, 400, "a sum or product of request numbers does not fit in 64 bits")   \
  X(basket_total_exceeds_limit, 409, "the basket total exceeds the rule set's cap")            \
  X(points_exceed_limit, 409, "more points than the rule set allows in one transaction")       \
  X(points_exceed_bill_share, 409, "points would pay more than their share of the bill")       \
  X(points_not_whole_units, 409, "points burned in other than whole units of the rule set")    \
  X(points_need_member, 409, "points burned without a member")                                 \
  X(points_offline_limit, 409, "HQ unreachable and the offline daily points cap is reached")   \
  X(insufficient_points, 409, "the member's balance is below the points to burn")              \
  X(needs_hq_online, 409, "this coupon or amount needs HQ reachable")                          \
  X(quote_changed, 409, "the commit's expected payable differs from the quote now")            \
  /* coupons */                                                                                \
  X(coupon_unknown, 409, "no such coupon in this store")                                       \
  X(coupon_already_redeemed, 409, "the coupon was redeemed already")                           \
  X(coupon_revoked, 409, "the coupon was revoked (on this till or by HQ)")                     \
  X(coupon_not_owner, 409, "the coupon belongs to another member")                             \
  X(coupon_not_yet_valid, 409, "the coupon's validity has not begun")                          \
  X(coupon_expired, 409, "the coupon has expired")                                             \
  X(coupon_duplicate, 409, "the same coupon is listed twice")                                  \
  X(coupon_not_eligible, 409, "no line in the basket is eligible for the coupon")              \
  X(coupon_min_spend, 409, "the eligible lines are below the coupon's minimum spend")          \
  X(coupon_unknown_template, 409, "the coupon's template is not in the till's rule set")       \
  X(coupon_exists, 409, "a coupon with this code exists already")                              \
  /* commits and refunds (agent/checkout) */                                                   \
  X(idempotency_conflict, 409, "the same txnId, refundId or idemKey with another body")        \
  X(idempotency_corrupt, 500, "the stored answer of this txnId cannot be read")                \
  X(checkout_record_corrupt, 500, "a stored checkout record cannot be read")                   \
  X(ledger_corrupt, 500, "a member's stored points ledger cannot be read")                     \
  X(install_id_missing, 500, "the till has no install id to mint provisional ids with")        \
  X(original_not_found, 404, "the refund's originalTxnId was not committed on this till")      \
  X(refund_invalid_line, 400, "a refund line index or quantity the sale does not have")        \
  X(refund_exceeds_purchase, 409, "more refunded than the sale had, earlier refunds included") \
  X(already_refunded, 409, "the sale has been refunded in full")                               \
  X(partial_refund, 409, "coupons come back only when the whole sale is refunded")             \
  X(coupon_not_restorable, 409, "the rule set does not restore coupons on refunds")            \
  X(coupon_not_redeemed, 409, "the coupon is no longer held by this transaction")              \
  /* HQ's refusals of an online-first commit (sync/hq reservations) */                         \
  X(coupon_reserved_elsewhere, 409, "another till holds this coupon for a commit")             \
  X(coupon_redeemed_elsewhere, 409, "the coupon was redeemed at another till")                 \
  X(points_insufficient_at_hq, 409, "HQ's balance, less other tills' holds, is too low")       \
  X(points_out_of_range, 409, "points outside the chain's per-transaction cap")                \
  X(hold_limit_reached, 409, "the terminal holds as many reservations as HQ allows")           \
  X(hq_refused, 409, "HQ refused the reservation without naming a reason")                     \
  /* storage */                                                                                \
  X(sqlite_error, 500, "the till's database failed (outcome unknown); see the message")        \
  X(sqlite_constraint, 500, "a database constraint failed unexpectedly")                       \
  X(sqlite_busy, 500, "the till's database stayed locked (outcome unknown)")                   \
  X(sqlite_full, 500, "the till's disk is full (outcome unknown)")                             \
  X(sqlite_bind, 500, "a statement parameter could not be bound")                              \
  X(sqlite_prepare, 500, "a statement could not be prepared")                                  \
  /* printing (agent/printing, drivers/printer) */                                             \
  X(no_printer, 409, "this till has no printer; render and print the bytes yourself")          \
  X(unknown_printer, 404, "no [[printer]] with this name")                                     \
  X(invalid_print_job, 400, "no idemKey/transactionId, one over 200 characters, or they differ") \
  X(invalid_receipt, 400, "a receipt field out of range (points beyond 10^12, >50 coupons)")  \
  X(qr_payload_size, 400, "a receipt QR payload outside the printer's size range")             \
  X(barcode_data_invalid, 400, "barcode data CODE128 cannot encode")                           \
  X(iconv_unavailable, 500, "the GB18030 converter is missing on this system")                 \
  /* member QR codes (lookup by code) */                                                       \
  X(qr_malformed, 400, "the member code cannot be read; scan again")                           \
  X(qr_unknown_key, 400, "the member code is signed by a key this till does not know")         \
  X(qr_forged, 400, "HQ's signature on the member code is not valid")                          \
  X(qr_revoked, 400, "the member code's credential was revoked")                               \
  X(qr_expired, 400, "the member code's credential has expired")                               \
  X(qr_app_signature_bad, 400, "the app's signature on the member code is not valid")          \
  X(qr_time_step, 400, "the member code is out of date or from the future")                    \
  X(qr_replayed, 400, "the member code was used already; refresh it")                          \
  X(qr_replay_store, 503, "the replay check's database failed; try again")                     \
  /* sync */                                                                                   \
  X(sync_disabled, 409, "this till has no [sync] hq_host")

// Codes recorded in logs, device states, scan events, memberctl and the sync wire, but never
// answered by the local API: X(code, meaning).
#define PMA_RECORDED_ERROR_CODES(X)                                                           \
  /* memberd and memberctl */                                                                 \
  X(api_bind, "memberd cannot listen on api.listen:api.port")                                 \
  X(api_unreachable, "memberctl cannot reach memberd's local API")                            \
  X(demo_seed, "memberctl demo cannot write its CSV file")                                    \
  X(api_error, "memberd answered memberctl with an error status")                             \
  X(bad_log_level, "a log level that is not trace, debug, info, warn or error")               \
  X(config_syntax, "the config file is not valid TOML")                                       \
  X(config_unknown_key, "the config file has a key memberd does not know")                    \
  X(config_bad_value, "a config value of the wrong type or outside its range")                \
  X(config_unreadable, "the config file cannot be read")                                      \
  X(config_invalid, "a config that is consistent key by key but not as a whole")              \
  X(unknown_time_zone, "a time zone name not in the system's IANA tz database (tzdata)")      \
  X(state_dir, "the state folder cannot be created")                                          \
  X(secret_file, "a state file (token, key) cannot be read or written")                       \
  X(secret_exists, "a state file to create exists already")                                   \
  X(invalid_rule_set, "a loyalty rule set from HQ outside its ranges")                        \
  X(code_unrecognised, "a scan that is no member code, card, phone or coupon")                \
  X(scan_incomplete, "a scanner sent characters but no terminator; they were dropped")        \
  X(invalid_argument, "a key id or credential field outside its range (memberctl, HQ)")       \
  X(key_file_error, "a key file cannot be read or written")                                   \
  X(key_invalid, "a key file that holds no Ed25519 key")                                      \
  X(crypto_error, "OpenSSL failed to sign or serialise")                                      \
  X(base45_invalid, "text that is not Base45")                                                \
  /* the till's database and HQ's */                                                          \
  X(sqlite_open, "a database file cannot be opened or set up")                                \
  X(schema_migration, "a schema migration failed (that step rolled back)")                    \
  X(schema_too_new, "the database was written by a newer memberd or memberhq: refused")       \
  X(schema_unrecognised, "an HQ file without schema version whose tables are not HQ's")       \
  X(outbox_encode, "a delta cannot be serialised into the outbox")                            \
  X(outbox_garbled, "a stored delta or sync record cannot be read")                           \
  X(pairing_refused, "HQ would overwrite members imported only on this till")                 \
  /* backups and member imports (memberctl) */                                                \
  X(backup_exists, "the backup file exists already")                                          \
  X(backup_io, "the backup file cannot be created or written")                                \
  X(backup_failed, "SQLite's online backup failed")                                           \
  X(backup_invalid, "the backup is missing or not a SQLite file")                             \
  X(backup_corrupt, "the backup cannot be read or fails integrity_check")                     \
  X(backup_schema, "the backup has no agent schema, or a newer one")                          \
  X(backup_wrong_store, "the backup is of another store")                                     \
  X(database_in_use, "memberd holds the database a restore would replace")                    \
  X(restore_failed, "the restored database could not be put in place")                        \
  X(import_unreadable, "the import file cannot be read")                                      \
  X(import_bad_header, "the import file's header lacks or repeats a column")                  \
  X(bad_row, "an import row with a field outside its rule")                                   \
  X(member_not_found, "memberhq erase: no member with this id at HQ")                         \
  /* printers */                                                                              \
  X(invalid_printer_config, "a [[printer]] section that cannot work")                         \
  X(invalid_paper_width, "paper_width is not 58 or 80")                                       \
  X(print_job_cancelled, "the print job was cancelled")                                       \
  X(print_queue_stopped, "memberd stopped while the job was printing")                        \
  X(printer_open_failed, "the printer's device cannot be opened")                             \
  X(printer_unreachable, "a network printer refuses or does not answer connections")          \
  X(printer_disconnected, "the printer went away while in use")                               \
  X(printer_closed, "the printer's transport was closed")                                     \
  X(printer_write_failed, "writing to the printer failed")                                    \
  X(printer_read_failed, "reading the printer's status failed")                               \
  X(printer_read_unsupported, "the printer's transport cannot read status")                   \
  X(printer_status_malformed, "the printer answered a status query with bytes of no meaning") \
  X(printer_timeout, "the printer did not answer in time")                                    \
  /* memberctl receipt preview (drivers/printer/preview) */                                   \
  X(escpos_unsupported, "a command memberd's ESC/POS encoder never sends")                    \
  X(escpos_truncated, "an ESC/POS command ends before its arguments")                         \
  X(escpos_text_invalid, "Chinese-mode text bytes that are not GB18030")                      \
  X(font_unavailable, "the preview's CJK font cannot be opened")                              \
  X(font_render, "the preview's font cannot draw a character")                                \
  X(png_write, "the preview's PNG file cannot be written")                                    \
  X(preview_input_unreadable, "the --job or --escpos file cannot be read")                    \
  /* scanners and serial ports */                                                             \
  X(device_absent, "the device node does not exist")                                          \
  X(device_gone, "the device was unplugged while open")                                       \
  X(invalid_scanner_config, "a [[scanner]] section that cannot work")                         \
  X(invalid_scanner_kind, "a scanner kind other than serial, hid or tcp")                     \
  X(invalid_terminator, "a scanner terminator other than any, cr, lf, crlf, tab or none")     \
  X(invalid_layout, "a keyboard layout the HID scanner reader does not know")                 \
  X(hid_open_failed, "the HID scanner's event device cannot be opened")                       \
  X(hid_grab_failed, "the HID scanner cannot be grabbed (another program has it)")            \
  X(hid_read_failed, "reading the HID scanner failed")                                        \
  X(tcp_listen_failed, "a TCP scanner's port cannot be listened on")                          \
  X(invalid_serial_settings, "serial settings outside what the port supports")                \
  X(invalid_parity, "a parity other than none, odd or even")                                  \
  X(invalid_flow_control, "a flow control other than none, rtscts or xonxoff")                \
  X(invalid_serial_driver, "a serial driver other than the built-in ones")                    \
  X(serial_open_failed, "the serial port cannot be opened or configured")                     \
  X(serial_read_failed, "reading the serial port failed")                                     \
  X(serial_write_failed, "writing the serial port failed")                                    \
  X(serial_closed, "the serial port was closed")                                              \
  /* sync between the till and HQ (sync/) */                                                  \
  X(connect, "the till cannot connect to HQ")                                                 \
  X(tls_handshake, "the TLS handshake with HQ failed")                                        \
  X(tls_refused, "the peer refused the TLS session (certificate not accepted)")               \
  X(tls_config, "the TLS certificate, key or CA files cannot be used")                        \
  X(tls_identity, "the peer's certificate does not verify or names no store/terminal")        \
  X(tls_no_peer_cert, "the peer sent no certificate")                                         \
  X(io_closed, "the peer closed the connection between frames")                               \
  X(io_error, "the connection failed")                                                        \
  X(frame_short, "a frame header shorter than its fixed size")                                \
  X(frame_truncated, "the stream ended inside a frame")                                       \
  X(frame_oversize, "a frame larger than its type's cap")                                     \
  X(frame_unknown_type, "a frame type this build does not know")                              \
  X(frame_unexpected, "a frame of another type than the protocol step expects")               \
  X(protobuf_garbled, "a frame payload that is not its message")                              \
  X(zstd_garbled, "a compressed frame that does not decompress")                              \
  X(zstd_too_large, "a compressed frame that decompresses beyond its cap")                    \
  X(batch_garbled, "a delta batch's columns do not add up")                                   \
  X(peer_error, "the peer sent an error frame without a valid code")                          \
  X(protocol, "HQ answered out of protocol")                                                  \
  X(hq_busy, "HQ asked the till to come back later")                                          \
  X(hq_timeout, "HQ did not answer a reservation in time (offline rules apply)")              \
  X(hq_skipped, "no reservation attempted (HQ known unreachable; offline rules apply)")       \
  X(sync_in_progress, "a sync is running already")                                            \
  X(terminal_revoked, "HQ refuses this terminal (revoked)")                                   \
  /* memberhq */                                                                              \
  X(listen, "memberhq cannot listen on its address")                                          \
  X(database_unsupported, "no sink for database.path in this memberhq")                       \
  X(batch_too_long, "a batch with more deltas than memberhq accepts")                         \
  X(page_too_large, "a member page beyond the frame cap")                                     \
  X(reserve_invalid, "a reservation without a txn id or with negative points")                \
  X(sqlite_busy_deferred, "HQ's database was busy; terminals' last-seen times wait")          \
  X(ca_missing, "the HQ certificate authority's files are missing")                           \
  X(ca_exists, "the HQ certificate authority exists already")                                 \
  X(ca_io, "the certificate authority's files cannot be read or written")                     \
  X(ca_openssl, "OpenSSL failed to make or sign a certificate")                               \
  X(ca_invalid_id, "a store or terminal id a certificate cannot carry")

// What memberhq records as a conflict (memberhq conflicts): X(kind, meaning). A conflicting delta
// changes nothing of HQ's state; the batch is still acknowledged.
#define PMA_HQ_CONFLICT_KINDS(X)                                                                 \
  X(coupon_redeemed_twice, "a coupon redeemed at two tills (offline)")                           \
  X(coupon_revoked_redeemed, "a coupon redeemed after HQ revoked it")                            \
  X(points_overdrawn, "points burned beyond the member's balance (offline)")                     \
  X(erased_member_activity, "a delta for a member erased at HQ")                                 \
  X(provisional_id_reused, "a till reused a provisional member id for another member")           \
  X(coupon_code_reused, "a till reused a welcome coupon code")                                   \
  X(txn_id_reused, "a till reused a transaction id for another sale")                            \
  X(foreign_id, "an id or welcome code outside the terminal's own P-/W- prefix")                 \
  X(delta_out_of_range, "a number beyond the rule set's caps or HQ's balance range")             \
  X(points_earned_exceeds_rules, "more points earned than the rule set allows for the sale")     \
  X(points_adjustment_refused, "a points adjustment from a till (only HQ makes them)")           \
  X(coupon_not_owner, "another member's coupon, or another terminal's unknown welcome code")     \
  X(refund_not_own_sale, "a refund of a sale this terminal did not send, or for another member") \
  X(refund_exceeds_sale, "a refund beyond what the sale had")                                    \
  X(points_out_of_range, "a reservation beyond the per-transaction points cap")

// A code the local API answers.
struct ApiErrorCode {
  std::string_view code;
  int http_status;
  std::string_view meaning;
};

// A code that is only recorded, or a conflict kind.
struct RecordedCode {
  std::string_view code;
  std::string_view meaning;
};

// The codes as constants, named as they read: fail(err::invalid_basket, ...). A char array, so
// it converts to the std::string of Error::code and compares with it.
namespace err {
#define PMA_ERROR_CONSTANT(code, ...) inline constexpr char code[] = #code;
PMA_API_ERROR_CODES(PMA_ERROR_CONSTANT)
PMA_RECORDED_ERROR_CODES(PMA_ERROR_CONSTANT)
}  // namespace err

namespace conflict {
PMA_HQ_CONFLICT_KINDS(PMA_ERROR_CONSTANT)
#undef PMA_ERROR_CONSTANT
}  // namespace conflict

#define PMA_API_ERROR_ROW(code, status, meaning) ApiErrorCode{#code, status, meaning},
#define PMA_RECORDED_CODE_ROW(code, meaning) RecordedCode{#code, meaning},
inline constexpr ApiErrorCode kApiErrorCodes[] = {PMA_API_ERROR_CODES(PMA_API_ERROR_ROW)};
inline constexpr RecordedCode kRecordedErrorCodes[] = {
    PMA_RECORDED_ERROR_CODES(PMA_RECORDED_CODE_ROW)};
inline constexpr RecordedCode kHqConflictKinds[] = {PMA_HQ_CONFLICT_KINDS(PMA_RECORDED_CODE_ROW)};
#undef PMA_API_ERROR_ROW
#undef PMA_RECORDED_CODE_ROW

// The catalogue entry of an API code; nullptr for a code the API does not answer.
constexpr const ApiErrorCode* find_api_error(std::string_view code) {
  for (const auto& entry : kApiErrorCodes) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

// Whether `code` is an error code of the catalogue (API or recorded; not a conflict kind).
constexpr bool is_catalogued_error(std::string_view code) {
  if (find_api_error(code) != nullptr) return true;
  for (const auto& entry : kRecordedErrorCodes) {
    if (entry.code == code) return true;
  }
  return false;
}

constexpr bool is_hq_conflict_kind(std::string_view code) {
  for (const auto& entry : kHqConflictKinds) {
    if (entry.code == code) return true;
  }
  return false;
}

}  // namespace pma
