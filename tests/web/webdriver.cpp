#include "tests/web/webdriver.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/core/detail/base64.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/memberd_process.h"

namespace pma::test {

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kChromedriver = "/usr/bin/chromedriver";

// `text` as a JSON string literal.
std::string quote(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

google::protobuf::Value parse(const std::string& json) {
  google::protobuf::Value value;
  if (!google::protobuf::util::JsonStringToMessage(json, &value).ok()) {
    throw std::runtime_error("chromedriver sent no JSON: " + json.substr(0, 300));
  }
  return value;
}

const google::protobuf::Value& member(const google::protobuf::Value& value, const char* name) {
  static const google::protobuf::Value kNull;
  if (!value.has_struct_value()) return kNull;
  auto it = value.struct_value().fields().find(name);
  return it == value.struct_value().fields().end() ? kNull : it->second;
}

// Resolves once the element's text contains the needle: checked now and on every DOM change.
constexpr const char* kWaitScript = R"js(
const [css, needle, done] = arguments;
const check = () => {
  const e = document.querySelector(css);
  return e !== null && e.textContent.includes(needle) ? e.textContent : null;
};
const now = check();
if (now !== null) { done({ ok: true, text: now }); return; }
const observer = new MutationObserver(() => {
  const text = check();
  if (text !== null) { observer.disconnect(); done({ ok: true, text }); }
});
observer.observe(document.documentElement,
                 { subtree: true, childList: true, characterData: true, attributes: true });
)js";

}  // namespace

std::optional<std::string> WebDriver::unavailable() {
  for (const char* path : {kChromium, kChromedriver}) {
    if (::access(path, X_OK) != 0) {
      return std::string(path) +
             " is not installed (Debian packages chromium and chromium-driver; "
             "packaging/install-deps.sh installs them)";
    }
  }
  return std::nullopt;
}

WebDriver::WebDriver() {
  int port = free_port();
  std::string log = dir_.file("chromedriver.log");
  std::fflush(nullptr);  // the child must not write the test's buffered output again
  pid_ = ::fork();
  if (pid_ == 0) {
    std::string port_arg = "--port=" + std::to_string(port);
    std::string log_arg = "--log-path=" + log;
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    execl(kChromedriver, "chromedriver", port_arg.c_str(), log_arg.c_str(), nullptr);
    _exit(127);
  }
  http_ = std::make_unique<api::HttpClient>("127.0.0.1", static_cast<std::uint16_t>(port), "",
                                            std::chrono::seconds(120));
  // chromedriver has no readiness signal: ask /status until it answers (or has exited).
  bool ready = false;
  for (int attempt = 0; attempt < 200 && !ready; ++attempt) {
    auto reply = http_->request("GET", "/status");
    if (reply && reply->status == 200) ready = true;
    if (!ready) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("chromedriver exited at start: " + this->log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!ready) throw std::runtime_error("chromedriver never answered /status: " + this->log());
  std::string profile = dir_.file("profile");
  std::string caps =
      R"({"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":)" +
      quote(kChromium) +
      R"(,"args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage",)"
      R"("--no-first-run","--window-size=1100,1300","--user-data-dir=)" +
      profile + R"("]}}}})";
  auto created = parse(call("POST", "/session", caps));
  session_ = member(member(created, "value"), "sessionId").string_value();
  if (session_.empty()) throw std::runtime_error("no WebDriver session: " + this->log());
  call("POST", "/session/" + session_ + "/timeouts", R"({"script":30000,"implicit":0})");
}

WebDriver::~WebDriver() {
  if (!session_.empty() && http_) (void)http_->request("DELETE", "/session/" + session_);
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string WebDriver::log() const {
  std::ifstream in(dir_.file("chromedriver.log"));
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

std::string WebDriver::call(const std::string& method, const std::string& path,
                            const std::string& body) {
  auto reply = http_->request(method, path, body.empty() && method == "POST" ? "{}" : body);
  if (!reply) throw std::runtime_error("chromedriver: " + reply.error().message);
  if (reply->status != 200) {
    auto value = member(parse(reply->body), "value");
    throw std::runtime_error(method + " " + path + ": " + member(value, "error").string_value() +
                             ": " + member(value, "message").string_value().substr(0, 600));
  }
  return reply->body;
}

void WebDriver::navigate(const std::string& url) {
  call("POST", "/session/" + session_ + "/url", R"({"url":)" + quote(url) + "}");
}

std::string WebDriver::element(const std::string& css) {
  auto found = parse(call("POST", "/session/" + session_ + "/element",
                          R"({"using":"css selector","value":)" + quote(css) + "}"));
  // The W3C element reference key.
  return member(member(found, "value"), "element-6066-11e4-a52e-4f735466cecf").string_value();
}

void WebDriver::type(const std::string& css, const std::string& text) {
  std::string id = element(css);
  call("POST", "/session/" + session_ + "/element/" + id + "/clear");
  call("POST", "/session/" + session_ + "/element/" + id + "/value",
       R"({"text":)" + quote(text) + "}");
}

void WebDriver::click(const std::string& css) {
  call("POST", "/session/" + session_ + "/element/" + element(css) + "/click");
}

std::string WebDriver::text(const std::string& css) {
  auto value = parse(call("GET", "/session/" + session_ + "/element/" + element(css) + "/text"));
  return member(value, "value").string_value();
}

std::string WebDriver::wait_for_text(const std::string& css, const std::string& needle) {
  std::string body = R"({"script":)" + quote(kWaitScript) + R"(,"args":[)" + quote(css) + "," +
                     quote(needle) + "]}";
  try {
    auto value = parse(call("POST", "/session/" + session_ + "/execute/async", body));
    return member(member(value, "value"), "text").string_value();
  } catch (const std::runtime_error& e) {
    std::string seen = execute(
        "const t = (s) => { const e = document.querySelector(s); return e ? e.textContent : "
        "'(none)'; }; return 'element: ' + t(" +
        quote(css) + ") + '; #error: ' + t('#error') + '; #problem: ' + t('#problem');");
    throw std::runtime_error("waiting for '" + needle + "' in " + css + ": " + e.what() +
                             "; page: " + seen);
  }
}

std::string WebDriver::execute(const std::string& script) {
  auto value = parse(call("POST", "/session/" + session_ + "/execute/sync",
                          R"({"script":)" + quote(script) + R"(,"args":[]})"));
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(member(value, "value"), &out);
  return out;
}

std::string WebDriver::screenshot_png() {
  auto value = parse(call("GET", "/session/" + session_ + "/screenshot"));
  const std::string& b64 = member(value, "value").string_value();
  std::string png(boost::beast::detail::base64::decoded_size(b64.size()), '\0');
  auto [written, read] = boost::beast::detail::base64::decode(png.data(), b64.data(), b64.size());
  (void)read;
  png.resize(written);
  return png;
}

}  // namespace pma::test
