// The event stream behind GET /v1/events: numbers each event, stamps it with this process's
// boot id (seq starts again at 1 when memberd restarts; the boot id tells a POS so), keeps the
// last N for replay to a POS that reconnects with since=<seq>, and fans events out to the
// connected subscribers. Lives on the io_context thread; not thread-safe (parse_since is pure).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pma/error.h"
#include "pma/v1/api.pb.h"

namespace pma::api {

// 16 random hex digits, new for each memberd process.
std::string random_boot_id();

// The since= of GET /v1/events: "" is nullopt (only new events), else a whole number of at
// most 20 digits that fits in 64 bits. Error "invalid_request" saying what since takes.
Result<std::optional<std::uint64_t>> parse_since(std::string_view text);

class EventHub {
 public:
  using Sink = std::function<void(const std::string& json)>;

  explicit EventHub(std::size_t replay_capacity = 1000, std::string boot_id = random_boot_id())
      : capacity_(replay_capacity), boot_id_(std::move(boot_id)) {}

  // Stamps seq, boot id and time (unix milliseconds, UTC) and delivers to every subscriber.
  std::uint64_t publish(pma::v1::Event event, std::int64_t now_ms);

  // Registers a subscriber; first replays the buffered events after `since` (with a ReplayGap
  // notice when some of them have already been dropped, or when `since` is beyond the last seq:
  // a POS that saw another boot). Returns an id for unsubscribe().
  std::uint64_t subscribe(std::uint64_t since, Sink sink);
  void unsubscribe(std::uint64_t id);

  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::size_t subscribers() const { return sinks_.size(); }
  const std::string& boot_id() const { return boot_id_; }

 private:
  std::size_t capacity_;
  std::string boot_id_;
  std::uint64_t next_seq_ = 1;
  std::deque<std::pair<std::uint64_t, std::string>> buffer_;  // (seq, json)
  std::map<std::uint64_t, Sink> sinks_;
  std::uint64_t next_sink_ = 1;
};

}  // namespace pma::api
