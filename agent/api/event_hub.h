// The event stream behind GET /v1/events: numbers each event, keeps the last N for replay to a
// POS that reconnects with since=<seq>, and fans events out to the connected subscribers.
// Lives on the io_context thread; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include "pma/v1/api.pb.h"

namespace pma::api {

class EventHub {
 public:
  using Sink = std::function<void(const std::string& json)>;

  explicit EventHub(std::size_t replay_capacity = 1000) : capacity_(replay_capacity) {}

  // Stamps seq and time (unix milliseconds, UTC) and delivers to every subscriber.
  std::uint64_t publish(pma::v1::Event event, std::int64_t now_ms);

  // Registers a subscriber; first replays the buffered events after `since` (with a ReplayGap
  // notice when some of them have already been dropped). Returns an id for unsubscribe().
  std::uint64_t subscribe(std::uint64_t since, Sink sink);
  void unsubscribe(std::uint64_t id);

  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::size_t subscribers() const { return sinks_.size(); }

 private:
  std::size_t capacity_;
  std::uint64_t next_seq_ = 1;
  std::deque<std::pair<std::uint64_t, std::string>> buffer_;  // (seq, json)
  std::map<std::uint64_t, Sink> sinks_;
  std::uint64_t next_sink_ = 1;
};

}  // namespace pma::api
