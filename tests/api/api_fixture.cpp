#include "tests/api/api_fixture.h"

#include <spdlog/sinks/ostream_sink.h>

#include <future>

#include "agent/log/logging.h"
#include "tests/support/answer_recorder.h"

namespace pma::test {

ApiFixture::ApiFixture(ApiFixtureOptions options)
    : log_text_(std::make_shared<std::ostringstream>()) {
  auto opened = store::open_store(dir.file("agent.db"));
  if (!opened) throw std::runtime_error(opened.error().message);
  db = std::move(*opened);
  members = std::make_unique<store::MemberStore>(*db, hasher);
  lookup = std::make_unique<lookup::MemberLookup>(*members, qr_verifier);
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_text_);
  sink->set_pattern("%l %v");
  log_ = log::make_logger("api-test", "debug", sink);
  member_api_ = std::make_unique<api::MemberApi>(api::MemberApiContext{.db = *db,
                                                                       .members = *members,
                                                                       .lookup = *lookup,
                                                                       .store_id = "S001",
                                                                       .terminal_id = "T01",
                                                                       .version = "test",
                                                                       .now = [] { return kNow; }},
                                                 log_);
  member_api_->add_routes(router_);
  server_ = std::make_unique<api::HttpServer>(
      io_, router_,
      api::HttpServerOptions{.listen = "127.0.0.1",
                             .port = 0,
                             .token = kToken,
                             .max_body_bytes = options.max_body_bytes,
                             .max_connections = options.max_connections,
                             .allowed_origins = options.allowed_origins},
      log_);
  server_->set_event_hub(&events_);
  if (auto ok = server_->start(); !ok) throw std::runtime_error(ok.error().message);
  thread_ = std::thread([this] { io_.run(); });
}

ApiFixture::~ApiFixture() {
  std::promise<void> stopped;
  boost::asio::post(io_, [&] { server_->stop([&] { stopped.set_value(); }); });
  stopped.get_future().wait();
  io_.stop();
  thread_.join();
}

api::HttpClient ApiFixture::client(std::string token) const {
  api::HttpClient client("127.0.0.1", server_->port(), std::move(token));
  record_answers(client);
  return client;
}

std::string ApiFixture::logs() const {
  log_->flush();
  return log_text_->str();
}

}  // namespace pma::test
