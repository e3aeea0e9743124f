// A W3C WebDriver client for the browser tests: starts Debian's chromedriver on a free loopback
// port with a headless Chromium session, and drives it over chromedriver's HTTP API (navigate,
// type, click, read text, wait for the page, screenshot). Waiting is event-driven: a
// MutationObserver in the page resolves the wait once the text appears (bounded by the
// session's script timeout, a generous deadline, not a timing assertion). Errors throw
// std::runtime_error with chromedriver's message. Not thread-safe; one test owns it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "agent/api/http_client.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

class WebDriver {
 public:
  // Why the browser tests cannot run here (chromium or chromedriver missing), or nullopt.
  static std::optional<std::string> unavailable();

  // Starts chromedriver and a headless Chromium session (throws if either fails).
  WebDriver();
  ~WebDriver();
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  void navigate(const std::string& url);
  // Replaces the value of the input matching `css` with `text`.
  void type(const std::string& css, const std::string& text);
  void click(const std::string& css);
  std::string text(const std::string& css);
  // Waits until the text of the element matching `css` contains `needle`; returns that text.
  // Throws (naming the element's text and the page's #error/#problem text) if it never does.
  std::string wait_for_text(const std::string& css, const std::string& needle);
  // Runs `script` in the page (a function body; `arguments` are not passed) and returns the
  // JSON of its result.
  std::string execute(const std::string& script);
  // The page as a PNG.
  std::string screenshot_png();
  // What chromedriver logged (for a failing test's INFO).
  std::string log() const;

 private:
  std::string call(const std::string& method, const std::string& path,
                   const std::string& body = "");
  std::string element(const std::string& css);

  TempDir dir_;
  pid_t pid_ = -1;
  std::unique_ptr<api::HttpClient> http_;
  std::string session_;
};

}  // namespace pma::test
