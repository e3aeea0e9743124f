// The example web till (packaging/examples/till.html) and the status page (GET /) driven in
// headless Chromium against a real memberd: CORS, the origin-bound token, the event stream and
// the print path as a browser sees them.
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>

#include "pma/v1/member.pb.h"
#include "tests/web/static_server.h"
#include "tests/web/web_world.h"
#include "tests/web/webdriver.h"

using namespace pma::test;

namespace {

pma::v1::Member member_by_id(WebWorld& world, const std::string& id) {
  auto reply = world.memberd->client().request("GET", "/v1/members/" + id);
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  pma::v1::Member member;
  google::protobuf::util::JsonParseOptions options;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &member, options).ok());
  return member;
}

void save(const std::string& name, const std::string& png) {
  std::string path = output_file(name);
  std::ofstream(path, std::ios::binary) << png;
  std::cout << "screenshot: " << path << "\n";
}

}  // namespace

TEST_CASE("The example web till shows a scanned member, checks out and prints the member block",
          "[web][browser]") {
  if (auto why = WebDriver::unavailable()) {
    std::cout << "SKIPPED: " << *why << "\n";
    return;
  }
  StaticServer site(PMA_SOURCE_DIR "/packaging/examples");
  WebWorld world("[\"" + site.origin() + "\"]");
  REQUIRE(world.memberd->wait_ready());
  auto member = member_by_id(world, "M00000001");

  // Store IT pairs the till page once: a token bound to the page's origin.
  int status = -1;
  std::string token = world.memberctl("pos-token --origin " + site.origin(), &status);
  REQUIRE(status == 0);
  if (!token.empty() && token.back() == '\n') token.pop_back();
  REQUIRE(token.size() == 64);

  WebDriver browser;
  browser.navigate(site.origin() + "/till.html");
  browser.type("#agent", "http://127.0.0.1:" + std::to_string(world.memberd->port()));
  browser.type("#token", token);
  browser.click("#connect");
  browser.wait_for_text("#conn-state", "live");

  // A network scanner reads the member's card: the page shows the member from /v1/events.
  world.scan(member.card_no());
  CHECK(browser.wait_for_text("#member-name", member.name()) == member.name());
  CHECK(browser.text("#member-id") == member.member_id());

  browser.type("#qty", "2");
  browser.type("#price", "1800");
  browser.click("#add-line");
  browser.click("#quote");
  browser.wait_for_text("#payable", "¥");
  browser.click("#commit");
  std::string result = browser.wait_for_text("#result", "committed web-");
  browser.wait_for_text("#print-state", "receipt job");
  save("till-page.png", browser.screenshot_png());

  // "committed web-<ms>-<n>, paid ...": the POS transaction id the page chose.
  std::string txn = result.substr(std::string("committed ").size());
  txn = txn.substr(0, txn.find(','));
  INFO("txn " << txn);
  REQUIRE(run_until(world.io, [&] {
    return world.printer.parser().cut_receipts_containing("交易号 " + txn) == 1;
  }));
  const PrintedReceipt* printed = nullptr;
  for (const auto& receipt : world.printer.receipts()) {
    if (receipt.contains(txn)) printed = &receipt;
  }
  REQUIRE(printed != nullptr);
  INFO(printed->text());
  CHECK(printed->contains("鲜果茶 南京西路店"));  // store name, GB18030 round trip
  CHECK(printed->contains(member.name()));
  CHECK(printed->contains(member.phone_masked()));
  CHECK(printed->contains("积分余额"));  // the points balance row of the member block
  CHECK(printed->cut);
  CHECK(world.memberd->stop() == 0);
}

TEST_CASE("The status page asks for the token, then shows devices, queue and sync, live",
          "[web][browser][status]") {
  if (auto why = WebDriver::unavailable()) {
    std::cout << "SKIPPED: " << *why << "\n";
    return;
  }
  WebWorld world;
  REQUIRE(world.memberd->wait_ready());
  std::string base = "http://127.0.0.1:" + std::to_string(world.memberd->port());

  WebDriver browser;
  browser.navigate(base + "/");
  // Loaded without a token: no data in it until the token is given.
  CHECK(browser.text("#version") == "-");
  CHECK(browser.execute("return document.getElementById('devices').rows.length;") == "0");

  browser.type("#token", "not-the-token");
  browser.click("#show");
  browser.wait_for_text("#problem", "wrong_token");
  CHECK(browser.text("#version") == "-");

  browser.type("#token", world.memberd->token());
  browser.click("#show");
  browser.wait_for_text("#version", "0.");
  browser.wait_for_text("#stream", "live");
  CHECK_THAT(browser.text("#devices"), Catch::Contains("network") && Catch::Contains("receipt"));
  CHECK_THAT(browser.text("#print-queue"), Catch::Contains("receipt"));
  CHECK(browser.text("#sync-state") == "standalone (no [sync] hq_host)");
  CHECK(browser.text("#outbox-depth") == "0");

  // A code that is no member code arrives on the event stream: listed, and among the errors.
  world.scan("NOT-A-MEMBER-CODE");
  browser.wait_for_text("#events", "rejected");
  browser.wait_for_text("#errors", "scan on network");
  std::string png = browser.screenshot_png();
  REQUIRE(png.size() > 8);
  CHECK(png.substr(1, 3) == "PNG");
  save("status-page.png", png);
  CHECK(world.memberd->stop() == 0);
}

TEST_CASE(
    "A page from an origin not in allowed_origins cannot use the API, even with the api-token",
    "[web][browser][cors]") {
  if (auto why = WebDriver::unavailable()) {
    std::cout << "SKIPPED: " << *why << "\n";
    return;
  }
  StaticServer site(PMA_SOURCE_DIR "/packaging/examples");
  WebWorld world;  // allowed_origins = []
  REQUIRE(world.memberd->wait_ready());
  WebDriver browser;
  browser.navigate(site.origin() + "/till.html");
  browser.type("#agent", "http://127.0.0.1:" + std::to_string(world.memberd->port()));
  browser.type("#token", world.memberd->token());
  browser.click("#connect");
  // The browser refuses the answer (no Access-Control-Allow-Origin): fetch fails.
  CHECK_THAT(browser.wait_for_text("#error", "unreachable"),
             Catch::Contains("api.allowed_origins"));
  CHECK(browser.text("#conn-state") == "off");
  CHECK(world.memberd->stop() == 0);
}
