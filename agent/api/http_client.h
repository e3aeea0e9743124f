// A small blocking HTTP/1.1 client for the local API, with a keep-alive connection: used by
// memberctl, the tests and the benchmarks. Not thread-safe; one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::api {

struct HttpReply {
  int status = 0;
  std::string body;
  bool keep_alive = false;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, std::string token,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sends one request (connecting or reconnecting as needed). An empty token sends no
  // Authorization header. Errors: "api_unreachable" naming the address and OS error.
  Result<HttpReply> request(std::string_view method, std::string_view target,
                            std::string_view body = {});
  void set_token(std::string token) { token_ = std::move(token); }
  // Called with every answer received (the tests record them to check against the OpenAPI
  // document).
  using Observer =
      std::function<void(std::string_view method, std::string_view target, const HttpReply&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  std::uint16_t port_;
  std::string token_;
  std::chrono::milliseconds timeout_;
  Observer observer_;
};

}  // namespace pma::api
