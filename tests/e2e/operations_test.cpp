#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <set>
#include <thread>

#include "agent/store/member_store.h"
#include "tests/support/memberd_process.h"
#include "tests/support/pty_pair.h"

using pma::test::MemberdProcess;

namespace {

// The value of one sample line of a Prometheus text page, or -1.
double metric(const std::string& page, const std::string& series) {
  auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

std::string commit_body(const std::string& txn) {
  return "{\"txnId\":\"" + txn +
         "\",\"memberId\":\"M00000004\",\"lines\":[{\"sku\":\"CAKE\",\"qty\":1,"
         "\"unitPriceFen\":3800,\"category\":\"cake\",\"discountable\":true}]}";
}

}  // namespace

TEST_CASE("/metrics counters move with scans and checkouts", "[e2e][metrics]") {
  pma::test::PtyPair scanner;
  MemberdProcess memberd("[[scanner]]\nname = \"till\"\npath = \"" + scanner.device_path() +
                         "\"\n");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();

  auto before = client.request("GET", "/metrics");
  REQUIRE(before);
  REQUIRE(before->status == 200);
  CHECK(metric(before->body, "pma_scans_total{result=\"accepted\"}") == 0);
  CHECK(metric(before->body, "pma_outbox_depth") == 0);

  scanner.write("8860000000007945\r");  // a member card
  scanner.write("NOT A CODE\r");        // rejected
  for (int i = 0; i < 3; ++i) {
    auto c = client.request("POST", "/v1/checkout/commit", commit_body("M-" + std::to_string(i)));
    REQUIRE(c);
    REQUIRE(c->status == 200);
  }
  // Scans are handled on the agent's loop: wait (generously) until both are counted.
  std::string page;
  for (int i = 0; i < 200; ++i) {
    page = client.request("GET", "/metrics")->body;
    if (metric(page, "pma_scans_total{result=\"rejected\"}") >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(page);
  CHECK(metric(page, "pma_scans_total{result=\"accepted\"}") == 1);
  CHECK(metric(page, "pma_scans_total{result=\"rejected\"}") == 1);
  CHECK(metric(page, "pma_outbox_depth") == 3);
  CHECK(metric(page,
               "pma_api_request_duration_seconds_count{route=\"POST /v1/checkout/commit\"}") == 3);
  CHECK(metric(page,
               "pma_api_responses_total{route=\"POST /v1/checkout/commit\",status=\"200\"}") == 3);
  CHECK(metric(page,
               "pma_scanner_state{device=\"till\",kind=\"scanner/serial\",state=\"ready\"}") == 1);
  CHECK(page.find("# TYPE pma_api_request_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("A backup taken while checkouts continue restores every acknowledged checkout",
          "[e2e][backup]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());

  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged_before_backup{-1};
  std::vector<std::string> acknowledged;
  std::mutex mutex;
  std::thread till([&] {
    auto client = memberd.client();
    for (int i = 0; !stop; ++i) {
      std::string txn = "B-" + std::to_string(i);
      auto reply = client.request("POST", "/v1/checkout/commit", commit_body(txn));
      if (reply && reply->status == 200) {
        std::lock_guard lock(mutex);
        acknowledged.push_back(txn);
      }
    }
  });
  // Let some checkouts land, then back up while the till keeps committing.
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() >= 20) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::size_t before_backup;
  {
    std::lock_guard lock(mutex);
    before_backup = acknowledged.size();
  }
  std::string backup = memberd.dir.file("backup.db");
  std::string ctl = PMA_MEMBERCTL;
  std::string state = memberd.dir.file("state");
  int rc = std::system((ctl + " --state-dir " + state + " backup " + backup + " > " +
                        memberd.dir.file("backup.log") + " 2>&1")
                           .c_str());
  std::size_t during_backup;
  {
    std::lock_guard lock(mutex);
    during_backup = acknowledged.size();
  }
  stop = true;
  till.join();
  REQUIRE(WEXITSTATUS(rc) == 0);
  INFO("acknowledged before the backup: " << before_backup << ", by its end: " << during_backup);

  // Restore into a fresh state folder and find every checkout acknowledged before the backup.
  std::string fresh = memberd.dir.file("fresh-state");
  rc = std::system((ctl + " --state-dir " + fresh + " restore " + backup + " > " +
                    memberd.dir.file("restore.log") + " 2>&1")
                       .c_str());
  REQUIRE(WEXITSTATUS(rc) == 0);
  auto db = pma::store::open_store(fresh + "/agent.db").value();
  std::set<std::string> restored;
  auto stmt = db->prepare("SELECT txn_id FROM outbox");
  REQUIRE(stmt);
  while (stmt->step().value()) restored.insert(stmt->column_text(0));
  std::lock_guard lock(mutex);
  for (std::size_t i = 0; i < before_backup; ++i) {
    INFO(acknowledged[i]);
    CHECK(restored.contains(acknowledged[i]));
  }
  CHECK(restored.size() >= before_backup);
  // Nothing in the backup that the till was not told was committed.
  for (const auto& txn : restored) {
    CHECK(std::find(acknowledged.begin(), acknowledged.end(), txn) != acknowledged.end());
  }
}
