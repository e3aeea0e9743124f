// Issue 15's rough edges seen from a POS integrator's side, against a real memberd: one code for
// an unknown member, registration refusals without SQL, the sync state of a standalone till,
// memberctl finding memberd's port, and the OpenAPI document served by memberd.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/store/member_store.h"
#include "tests/support/memberd_process.h"

using pma::test::MemberdProcess;

namespace {

const char* kBasket =
    R"("lines":[{"sku":"BREAD-1","qty":2,"unitPriceFen":1500,"category":"bread","discountable":true}])";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("A checkout, quote or lookup of an unknown member answers unknown_member",
          "[e2e][contract]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  const std::string member = R"("memberId":"NOPE",)";
  for (auto [method, target, body] : {
           std::tuple{"POST", "/v1/checkout/quote", "{" + member + kBasket + "}"},
           std::tuple{"POST", "/v1/checkout/commit",
                      "{\"txnId\":\"T-1\"," + member + kBasket + "}"},
           std::tuple{"POST", "/v1/members/lookup",
                      std::string(R"({"cardNo":"8869999999999999"})")},
           std::tuple{"GET", "/v1/members/NOPE", std::string()},
       }) {
    INFO(method << " " << target);
    auto reply = client.request(method, target, body);
    REQUIRE(reply);
    INFO(reply->body);
    CHECK(reply->status == 404);
    CHECK_THAT(reply->body, Catch::Contains("\"code\":\"unknown_member\""));
  }
}

TEST_CASE("Registering a card another member holds names the holder, never the SQL",
          "[e2e][contract]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  // M00000001's demo card.
  auto taken = client.request("POST", "/v1/members",
                              R"({"phone":"13900003333","cardNo":"8860000000000026"})");
  REQUIRE(taken);
  INFO(taken->body);
  CHECK(taken->status == 409);
  CHECK_THAT(taken->body, Catch::Contains("\"code\":\"member_conflict\""));
  CHECK_THAT(taken->body, Catch::Contains("card number already belongs to member M00000001"));
  CHECK_THAT(taken->body, !Catch::Contains("INSERT") && !Catch::Contains("constraint"));
}

TEST_CASE("Registration refuses a card number the till's scanners could never read",
          "[e2e][contract]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  for (std::string card : {"not a card!", "ABC", "123", "13900004444"}) {
    INFO(card);
    auto reply = client.request("POST", "/v1/members",
                                R"({"phone":"13900004444","cardNo":")" + card + R"("})");
    REQUIRE(reply);
    INFO(reply->body);
    CHECK(reply->status == 400);
    CHECK_THAT(reply->body, Catch::Contains("\"code\":\"invalid_request\""));
    CHECK_THAT(reply->body, Catch::Contains("cardNo"));
  }
  auto ok = client.request("POST", "/v1/members",
                           R"({"phone":"13900004444","cardNo":"8860000099990001"})");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("A standalone till reports how old its oldest waiting delta is", "[e2e][contract]") {
  pma::test::TempDir kept;  // the state folder outlives the first memberd
  const std::string state = kept.file("state");
  {
    MemberdProcess memberd(pma::test::MemberdOptions{.state_dir = state});
    REQUIRE(memberd.wait_ready());
    auto client = memberd.client();
    auto commit =
        client.request("POST", "/v1/checkout/commit",
                       std::string(R"({"txnId":"T-OLD","memberId":"M00000001",)") + kBasket + "}");
    REQUIRE(commit);
    REQUIRE(commit->status == 200);
    REQUIRE(memberd.stop() == 0);
  }
  {
    // The checkout waited an hour (no HQ configured): backdate its outbox row (ms).
    auto db = pma::store::open_store(state + "/agent.db");
    INFO((db ? "" : db.error().message));
    REQUIRE(db);
    REQUIRE((*db)->exec("UPDATE outbox SET created_at = created_at - 3600 * 1000"));
  }
  pma::test::MemberdOptions options;
  options.state_dir = state;
  options.demo_members = -1;
  MemberdProcess memberd(options);
  REQUIRE(memberd.wait_ready());
  auto sync = memberd.client().request("GET", "/v1/sync");
  REQUIRE(sync);
  INFO(sync->body);
  CHECK_THAT(sync->body, Catch::Contains("\"enabled\":false"));
  CHECK_THAT(sync->body, !Catch::Contains("\"outboxDepth\":\"0\""));
  CHECK_THAT(sync->body, !Catch::Contains("\"oldestUnsentAgeSeconds\":\"0\""));
  auto at = sync->body.find("\"oldestUnsentAgeSeconds\":\"");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(sync->body.substr(at + 26)) >= 3600);
}

TEST_CASE("memberctl -s DIR talks to the memberd of that state folder on its own port",
          "[e2e][contract][memberctl]") {
  // memberd's port comes from its config file, which memberctl is not given.
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  REQUIRE(memberd.port() != 8765);
  const std::string out = memberd.dir.file("ctl.out");
  // An empty config (not /etc/memberd/memberd.toml, should a package be installed): port 8765.
  const std::string config = memberd.dir.file("empty.toml");
  std::ofstream(config) << "";
  const std::string ctl = std::string(PMA_MEMBERCTL) + " -c " + config + " -s " +
                          memberd.state_dir() + " lookup 8860000000000026 > " + out + " 2>&1";
  int rc = std::system(ctl.c_str());
  INFO(read_file(out));
  CHECK(rc == 0);
  CHECK_THAT(read_file(out), Catch::Contains("M00000001"));
}

TEST_CASE("memberd serves its OpenAPI document, the file shipped in the tree",
          "[e2e][contract][openapi]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto reply = memberd.client().request("GET", "/v1/openapi.json");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == read_file(std::string(PMA_SOURCE_DIR) + "/agent/api/openapi.json"));
  CHECK_THAT(reply->body, Catch::Contains("\"openapi\": \"3.1.0\""));
}
