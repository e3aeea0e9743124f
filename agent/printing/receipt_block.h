// The member block of a receipt (store, masked phone, tier, points, coupons, upgrade notice,
// member QR) built from pma.v1.MemberReceipt, as ESC/POS bytes or as plain text lines, and the
// two local API operations on it (POST /v1/print, POST /v1/receipts/render).
// Stateless functions; thread-safe (each call opens its own converter).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/printing/print_queue.h"
#include "drivers/printer/layout.h"
#include "pma/error.h"
#include "pma/v1/receipt.pb.h"

namespace pma::printing {

// Checks a receipt before rendering. Errors: "invalid_receipt" naming the field (points beyond
// +-10^12, a negative points_debt, a QR payload longer than 2953 bytes, over-long text).
// Negative points_earned / points_used are a refund's and print as taken back / given back.
Status validate_receipt(const v1::MemberReceipt& receipt);

// "13812345678" and "+86 138-1234-5678" -> "138****5678" (pma::mask_phone of the normalised
// number); an already masked value is kept; never returns more than the first 3 and last 4
// digits.
std::string mask_phone(std::string_view phone);

// The member block as ESC/POS bytes for `paper`. standalone: a whole job (ESC @ first, cut
// last, optional drawer pulse); otherwise a fragment for the POS to splice into its receipt.
// Errors: "invalid_receipt", "iconv_unavailable", "qr_payload_size".
Result<std::string> render_receipt_escpos(const v1::MemberReceipt& receipt, printer::Paper paper,
                                          bool standalone = true, bool open_drawer = false);

// The same block as text lines at most columns_for(paper) columns wide (a Chinese character
// counts two); the QR code is left out (RenderReceiptResponse.member_qr carries it).
Result<std::vector<std::string>> render_receipt_lines(const v1::MemberReceipt& receipt,
                                                      printer::Paper paper);

// Demo data (a silver member in Shanghai, a coupon used, one available, an upgrade, a QR): what
// memberctl receipt preview shows without --job, and what its test checks.
v1::MemberReceipt demo_member_receipt();

// The paper a request asks for, or `configured` when it does not say.
printer::Paper paper_for(v1::PaperWidth width, printer::Paper configured);

// POST /v1/receipts/render: bytes (a fragment) and lines. Errors as above.
Result<v1::RenderReceiptResponse> render_receipt(const v1::RenderReceiptRequest& request,
                                                 printer::Paper configured);

// The print queue key of a member block: receipt.transaction_id when set (one member block per
// transaction, whoever asks: print-on-commit and a POS printing the commit's receipt share it),
// else idem_key. Errors: "invalid_print_job" (neither set, or an idem_key that differs from a
// set transaction_id).
Result<std::string> print_key(const v1::PrintReceiptRequest& request);

// POST /v1/print: renders a standalone job and enqueues it under print_key(request); a known
// key returns the existing job (duplicate = true) and prints nothing. Errors:
// "invalid_print_job", "invalid_receipt", "sqlite_*".
Result<v1::PrintReceiptResponse> print_receipt(PrintQueue& queue,
                                               const v1::PrintReceiptRequest& request,
                                               printer::Paper configured);

}  // namespace pma::printing
