#include "agent/api/print_api.h"

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/api/json.h"
#include "agent/printing/receipt_block.h"
#include "drivers/printer/test_page.h"
#include "pma/error_codes.h"

namespace pma::api {

v1::MemberReceipt receipt_from_commit(const v1::CommitResponse& commit,
                                      const std::string& store_name) {
  // The commit's receipt is the block a POS would send to POST /v1/print, as it is.
  v1::MemberReceipt receipt = commit.receipt();
  if (receipt.store_name().empty()) receipt.set_store_name(store_name);
  if (receipt.transaction_id().empty()) receipt.set_transaction_id(commit.txn_id());
  return receipt;
}

Status PrintApi::print_commit(const v1::CommitResponse& commit) {
  if (commit.receipt().member_id().empty()) return {};  // no member, no member block
  printing::PrintQueue* queue = ctx_.queue(ctx_.receipt_printer);
  if (queue == nullptr) return fail(err::no_printer, "no [[printer]] is configured");
  v1::PrintReceiptRequest request;
  // Keyed by the transaction id (printing::print_key), as a POS's own print of this receipt.
  *request.mutable_receipt() = receipt_from_commit(commit, ctx_.store_name);
  PMA_TRY(printing::print_receipt(*queue, request, ctx_.paper(ctx_.receipt_printer)));
  return {};
}

void PrintApi::add_routes(Router& router) {
  router.add("POST", "/v1/print", [this](const ApiRequest& r) {
    v1::PrintReceiptRequest request;
    if (auto ok = parse_json(r.body, request); !ok) return error_response(ok.error());
    printing::PrintQueue* queue = ctx_.queue(ctx_.receipt_printer);
    if (queue == nullptr) {
      return error_response(err::no_printer,
                            "this agent has no printer; use POST /v1/receipts/render and print "
                            "the bytes yourself");
    }
    if (request.receipt().store_name().empty()) {
      request.mutable_receipt()->set_store_name(ctx_.store_name);
    }
    auto printed = printing::print_receipt(*queue, request, ctx_.paper(ctx_.receipt_printer));
    if (!printed) return error_response(printed.error());
    log_->info("print job {} {} ({})", printed->job_id(),
               printed->duplicate() ? "already queued" : "queued", printed->state());
    return json_response(200, *printed);
  });
  router.add("POST", "/v1/receipts/render", [this](const ApiRequest& r) {
    v1::RenderReceiptRequest request;
    if (auto ok = parse_json(r.body, request); !ok) return error_response(ok.error());
    if (request.receipt().store_name().empty()) {
      request.mutable_receipt()->set_store_name(ctx_.store_name);
    }
    auto rendered = printing::render_receipt(request, ctx_.paper(ctx_.receipt_printer));
    if (!rendered) return error_response(rendered.error());
    return json_response(200, *rendered);
  });
  router.add("POST", "/v1/printers/{name}/test", [this](const ApiRequest& r) {
    const std::string& name = r.params.at("name");
    printing::PrintQueue* queue = ctx_.queue(name);
    if (queue == nullptr) {
      return error_response(err::unknown_printer, "no [[printer]] named '" + name + "'");
    }
    auto now = std::chrono::system_clock::now();
    std::string when = ctx_.store_time ? ctx_.store_time()
                                       : fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                                                     std::chrono::floor<std::chrono::seconds>(now));
    auto page = printer::test_page(ctx_.paper(name), name, when);
    if (!page) return error_response(page.error());
    auto key = fmt::format("test:{}", now.time_since_epoch().count());
    auto accepted = queue->enqueue(key, *page);
    if (!accepted) return error_response(accepted.error());
    v1::PrintReceiptResponse response;
    response.set_job_id(accepted->job_id);
    response.set_state("queued");
    return json_response(200, response);
  });
}

}  // namespace pma::api
