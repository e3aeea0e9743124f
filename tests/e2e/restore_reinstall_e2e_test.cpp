// The README's "Back up and restore" procedure and a reinstall (a fresh database, the same
// certificate), followed step by step with real memberd, memberctl and memberhq processes while
// the POS keeps committing, with HQ reachable and unreachable (issue 11, Must show 2). At the
// end HQ's balances equal the sum of every committed checkout: nothing lost, nothing doubled,
// nothing booked to another member.
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "agent/store/sqlite.h"
#include "pma/v1/api.pb.h"
#include "pma/v1/checkout.pb.h"
#include "tests/e2e/memberhq_process.h"
#include "tests/support/memberd_process.h"

using pma::test::MemberdOptions;
using pma::test::MemberdProcess;
using pma::test::sync_now;
using Hq = pma::test::MemberhqProcess;

namespace {

// The POS: commits checkouts, one at a time, and remembers what memberd answered 200 to.
class Pos {
 public:
  // Commits one checkout for member; false (the reason kept in errors()) unless memberd
  // answered 200. No Catch assertions here: the thread below calls it too.
  bool commit(pma::api::HttpClient& client, const std::string& member) {
    std::string txn = "RR-" + std::to_string(next_txn_++);
    auto reply = client.request("POST", "/v1/checkout/commit",
                                "{\"txnId\":\"" + txn + "\",\"memberId\":\"" + member +
                                    "\",\"lines\":[{\"sku\":\"CAKE\",\"qty\":1,\"unitPriceFen\":" +
                                    std::to_string(1000 + 100 * (next_txn_ % 7)) +
                                    ",\"category\":\"cake\",\"discountable\":true}]}");
    pma::v1::CommitResponse response;
    std::lock_guard lock(mutex_);
    if (!reply || reply->status != 200 ||
        !google::protobuf::util::JsonStringToMessage(reply->body, &response).ok()) {
      errors_.push_back(
          txn + " for " + member + ": " +
          (reply ? std::to_string(reply->status) + " " + reply->body : reply.error().message));
      stop_ = true;
      return false;
    }
    const auto& q = response.quote();
    points_[q.member_id()] += q.points_to_earn();  // no burns in these baskets
    ++committed_;
    return true;
  }
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

  // Commits in a thread of its own until stop(), rotating over members.
  void start(const MemberdProcess& memberd, std::vector<std::string> members) {
    stop_ = false;
    thread_ = std::thread([this, client = memberd.client(), members]() mutable {
      for (std::size_t i = 0; !stop_; ++i) commit(client, members[i % members.size()]);
    });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ~Pos() { stop(); }

  // Commits made meanwhile by the thread (waits until there are at least n more).
  void wait_for_more(std::size_t n) {
    std::size_t target;
    {
      std::lock_guard lock(mutex_);
      target = committed_ + n;
    }
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (committed_ >= target || !errors_.empty()) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::map<std::string, std::int64_t> points() {
    std::lock_guard lock(mutex_);
    return points_;
  }
  std::size_t committed() {
    std::lock_guard lock(mutex_);
    return committed_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::int64_t> points_;  // by the member id the till booked under
  std::size_t committed_ = 0;
  std::vector<std::string> errors_;
  int next_txn_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int memberctl(const std::string& state_dir, const std::string& args, const std::string& log) {
  std::string ctl = PMA_MEMBERCTL;
  return WEXITSTATUS(std::system(
      (ctl + " --state-dir " + state_dir + " " + args + " >> " + log + " 2>&1").c_str()));
}

std::string offline(std::string config, int hq_port) {
  const std::string port = std::to_string(hq_port);
  config.replace(config.find(port), port.size(), std::to_string(pma::test::free_port()));
  return config;
}

std::string register_member(pma::api::HttpClient& client, const std::string& phone) {
  auto reply = client.request("POST", "/v1/members", "{\"phone\":\"" + phone + "\"}");
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  pma::v1::RegisterMemberResponse response;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &response).ok());
  REQUIRE(response.created());
  return response.member().member_id();
}

}  // namespace

TEST_CASE("Restoring a backup and reinstalling while checkouts continue lose and double nothing",
          "[e2e][restore][reinstall]") {
  Hq hq;
  pma::test::TempDir folder;
  const std::string state = folder.file("state");
  const std::string backup = folder.file("memberd-S001-T01.db");
  const std::string log = folder.file("memberctl.log");
  const std::string online = hq.sync_config();
  auto start = [&](const std::string& config) {
    auto memberd = std::make_unique<MemberdProcess>(
        MemberdOptions{.extra_toml = config, .demo_members = 50, .state_dir = state});
    REQUIRE(memberd->wait_ready());
    return memberd;
  };
  Pos pos;
  std::vector<std::string> members = {"M00000001", "M00000002", "M00000003"};
  std::set<std::string> provisional;

  auto memberd = start(online);
  auto client = memberd->client();
  const std::string early = register_member(client, "13900000001");
  provisional.insert(early);
  members.push_back(early);
  pos.start(*memberd, members);
  pos.wait_for_more(10);
  REQUIRE_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));
  pos.wait_for_more(5);
  // memberctl backup while memberd serves and the POS commits.
  REQUIRE(memberctl(state, "backup " + backup, log) == 0);
  pos.wait_for_more(10);
  REQUIRE_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));
  pos.wait_for_more(5);
  pos.stop();
  // The till still works: its last sales reach HQ before it is restored (a till that cannot
  // sync any more keeps them in agent.db.pre-restore).
  REQUIRE(sync_now(client).outbox_depth() == 0);

  SECTION("restore with HQ unreachable at first") {
    memberd->stop();  // systemctl stop memberd
    REQUIRE(memberctl(state, "restore " + backup, log) == 0);
    CHECK(std::filesystem::exists(state + "/agent.db.pre-restore"));
    memberd = start(offline(online, hq.port));  // systemctl start memberd; the WAN is down
    client = memberd->client();
    const std::string late = register_member(client, "13900000002");
    CHECK_FALSE(provisional.contains(late));
    provisional.insert(late);
    members.push_back(late);
    for (int i = 0; i < 12; ++i) CHECK(pos.commit(client, members[i % members.size()]));
    memberd->stop();
    memberd = start(online);  // the WAN is back
    client = memberd->client();
  }
  SECTION("restore with HQ reachable, checkouts racing the first sync") {
    memberd->stop();
    REQUIRE(memberctl(state, "restore " + backup, log) == 0);
    memberd = start(online);
    client = memberd->client();
    const std::string late = register_member(client, "13900000003");
    CHECK_FALSE(provisional.contains(late));
    provisional.insert(late);
    members.push_back(late);
    pos.start(*memberd, members);
    pos.wait_for_more(5);
    REQUIRE_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));
    pos.wait_for_more(5);
    pos.stop();
  }
  SECTION("reinstall offline: a fresh database with the same certificate") {
    memberd->stop();
    for (const char* file : {"/agent.db", "/agent.db-wal", "/agent.db-shm"}) {
      std::filesystem::remove(state + file);
    }
    memberd = start(offline(online, hq.port));
    client = memberd->client();
    // The new database has never heard of the member registered before (HQ sends it under its
    // canonical id at the first sync; the POS finds it by card or phone then).
    std::erase(members, early);
    const std::string late = register_member(client, "13900000004");
    CHECK_FALSE(provisional.contains(late));
    provisional.insert(late);
    members.push_back(late);
    for (int i = 0; i < 12; ++i) CHECK(pos.commit(client, members[i % members.size()]));
    memberd->stop();
    memberd = start(online);
    client = memberd->client();
  }
  // The till keeps selling and syncing afterwards.
  pos.start(*memberd, members);
  pos.wait_for_more(10);
  pos.stop();
  auto synced = sync_now(client);
  INFO(memberd->log());
  REQUIRE_THAT(synced.last_run(), Catch::StartsWith("ok"));
  REQUIRE(synced.outbox_depth() == 0);

  INFO(memberd->log());
  REQUIRE(pos.errors().empty());
  // HQ's view, read from its database.
  pma::store::OpenOptions read_only;
  read_only.read_only = true;
  auto db = pma::store::Database::open(hq.dir.file("hq.db"), read_only);
  REQUIRE(db);
  auto scalar = [&](const std::string& sql, const std::string& arg = {}) -> std::int64_t {
    auto stmt = (*db)->prepare(sql);
    REQUIRE(stmt);
    if (!arg.empty()) stmt->bind(1, arg);
    auto row = stmt->step();
    REQUIRE(row);
    return *row ? stmt->column_int64(0) : -1;
  };
  // 0 lost, 0 doubled: one applied checkout per committed one (and the registrations).
  CHECK(scalar("SELECT COUNT(*) FROM deltas WHERE txn_id LIKE 'RR-%'") ==
        static_cast<std::int64_t>(pos.committed()));
  CHECK(scalar("SELECT COUNT(DISTINCT txn_id) FROM deltas WHERE txn_id LIKE 'RR-%'") ==
        static_cast<std::int64_t>(pos.committed()));
  CHECK(scalar("SELECT COUNT(*) FROM conflicts") == 0);
  // 0 misattributed: every member's balance at HQ is the sum of its own checkouts (booked
  // under the provisional id before HQ's mapping reached the till, the canonical one after).
  std::map<std::string, std::int64_t> expected;
  for (const auto& [member, points] : pos.points()) {
    std::string canonical = member;
    if (member.starts_with("P-")) {
      auto stmt = (*db)->prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = ?1");
      REQUIRE(stmt);
      stmt->bind(1, member);
      REQUIRE(stmt->step().value());
      canonical = stmt->column_text(0);
    }
    expected[canonical] += points;
  }
  for (const auto& [member, points] : expected) {
    INFO(member);
    CHECK(scalar("SELECT points FROM members WHERE member_id = ?1", member) == points);
  }
  CHECK(scalar("SELECT COUNT(DISTINCT member_id) FROM provisional_ids") ==
        static_cast<std::int64_t>(provisional.size()));
}

TEST_CASE("memberctl import on a paired till says to import at HQ and writes nothing",
          "[e2e][pairing]") {
  Hq hq;
  pma::test::TempDir folder;
  const std::string state = folder.file("state");
  const std::string config = folder.file("memberd.toml");
  std::ofstream(config) << "[state]\ndir = \"" << state << "\"\n" << hq.sync_config() << "\n";
  const std::string csv = folder.file("members.csv");
  std::ofstream(csv) << "member_id,card_no,phone,name,birthday,tier,points\n"
                        "M1,886000000001,13800000001,Li,,1,100\n";
  const std::string out = folder.file("import.log");
  std::string ctl = PMA_MEMBERCTL;
  int rc =
      std::system((ctl + " --config " + config + " import " + csv + " > " + out + " 2>&1").c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO(text);
  CHECK(WEXITSTATUS(rc) == 1);
  CHECK_THAT(text, Catch::Contains("[import_at_hq]"));
  CHECK_THAT(text, Catch::Contains("memberhq import"));
  CHECK_FALSE(std::filesystem::exists(state + "/agent.db"));
}
