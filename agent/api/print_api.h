// The printing endpoints of the local API: POST /v1/print (queue a member receipt block on the
// agent's printer), POST /v1/receipts/render (ESC/POS bytes and text lines for a POS that
// prints its own receipt), POST /v1/printers/{name}/test (a test page). io_context thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/api/router.h"
#include "agent/printing/print_queue.h"
#include "drivers/printer/layout.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/receipt.pb.h"

namespace spdlog {
class logger;
}

namespace pma::api {

struct PrintApiContext {
  // The queue of a printer by name (empty: the receipt printer); nullptr when there is none.
  std::function<printing::PrintQueue*(const std::string& name)> queue;
  std::function<printer::Paper(const std::string& name)> paper;
  std::string receipt_printer;  // the printer POST /v1/print uses
  std::string store_name;       // printed at the top of the member block
  // The store-local wall time as "YYYY-MM-DD HH:MM:SS" (printed on test pages); empty: UTC.
  std::function<std::string()> store_time;
};

class PrintApi {
 public:
  PrintApi(PrintApiContext context, std::shared_ptr<spdlog::logger> logger)
      : ctx_(std::move(context)), log_(std::move(logger)) {}

  void add_routes(Router& router);

  // Queues the member block of a committed checkout, keyed by its txn id (one member block per
  // transaction: a POS printing the same receipt gets duplicate = true).
  Status print_commit(const v1::CommitResponse& commit);

 private:
  PrintApiContext ctx_;
  std::shared_ptr<spdlog::logger> log_;
};

// The commit's receipt with the store name and transaction id filled in when empty.
v1::MemberReceipt receipt_from_commit(const v1::CommitResponse& commit,
                                      const std::string& store_name);

}  // namespace pma::api
