// An HQ and several tills on one io_context, with real TLS certificates from a test CA, real
// SQLite files and loopback sockets. Writes checkouts the way agent/checkout does (ledger rows
// and the outbox Delta in one transaction). Single-threaded; one test owns it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"
#include "pma/clock.h"
#include "sync/client/sync_client.h"
#include "sync/hq/ca.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

struct Till {
  std::string store_id;
  std::string terminal_id;
  std::string db_path;
  hq::IssuedCert cert;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::SqliteSyncStore> sync_store;
  std::unique_ptr<sync::SyncClient> client;
};

// HQ's wall clock in a SyncWorld: the given instant while it is not 0, the system clock
// otherwise.
class HqTestClock final : public pma::Clock {
 public:
  explicit HqTestClock(const std::int64_t& fixed_ms) : fixed_ms_(fixed_ms) {}
  std::int64_t now_ms() const override { return fixed_ms_ != 0 ? fixed_ms_ : system_.now_ms(); }

 private:
  const std::int64_t& fixed_ms_;
  pma::SystemClock system_;
};

class SyncWorld {
 public:
  explicit SyncWorld(hq::ServerConfig server_config = {}, hq::Sink* sink_override = nullptr);
  ~SyncWorld();

  boost::asio::io_context io;
  // HQ's clock (UTC ms) for stamps and the spend window; 0: the system clock.
  std::int64_t hq_now_ms = 0;
  HqTestClock hq_clock{hq_now_ms};
  // The tills' wall clock (sync stamps; their checkouts bring their own manual clocks).
  pma::SystemClock till_clock;
  TempDir dir;
  std::string ca_dir;
  std::unique_ptr<hq::SqliteSink> sink;
  std::unique_ptr<hq::Server> server;
  std::uint16_t port = 0;

  // A till with its own certificate and database; port 0: HQ's port.
  Till& add_till(const std::string& store_id, const std::string& terminal_id,
                 std::uint16_t port_override = 0);
  sync::ClientConfig client_config(const Till& till, std::uint16_t port_override = 0) const;
  // Closes and reopens the till's database (a restart).
  void restart(Till& till);
  // Runs one session to completion (deadline 60 s of io time).
  Result<sync::SyncReport> sync(Till& till, sync::SyncClient::ProgressFn progress = nullptr);
  // Runs sessions for several tills concurrently.
  std::vector<Result<sync::SyncReport>> sync_all(const std::vector<Till*>& tills);

  // Members M1..Mn with the given points at HQ.
  void import_members(int count, std::int64_t points);

  // One checkout: ledger rows (earn, burn) and the outbox Delta, one transaction. Returns seq.
  std::uint64_t checkout(Till& till, const std::string& member_id, std::int64_t earned,
                         std::int64_t burned = 0, std::vector<std::string> coupons = {});
  std::uint64_t register_member(Till& till, const std::string& provisional_id,
                                const std::string& phone);
  std::uint64_t write_delta(Till& till, pma::v1::Delta delta, const std::string& member_id,
                            std::int64_t points, const std::string& kind);
  // hq_points + unreflected ledger points, as the till would show it.
  std::int64_t till_balance(Till& till, const std::string& member_id);
  std::int64_t hq_balance(const std::string& member_id);
  std::int64_t count(Till& till, const std::string& sql);

 private:
  std::map<std::string, std::unique_ptr<Till>> tills_;
  std::uint64_t txn_counter_ = 0;
};

// A MemberRegistered Delta as agent/checkout writes it: the provisional id, the phone's hash
// under the tests' chain key ("chain-key") and its mask, and the name. Callers add the rest.
pma::v1::Delta registration_delta(const std::string& provisional_id, const std::string& phone,
                                  const std::string& name);

}  // namespace pma::test
