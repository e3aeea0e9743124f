#include "api/event_hub.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "api/json.h"

namespace pma::api {

namespace {

std::string rfc3339_ms(std::int64_t ms) {
  auto seconds = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds), ms % 1000);
}

}  // namespace

std::uint64_t EventHub::publish(pma::v1::Event event, std::int64_t now_ms) {
  std::uint64_t seq = next_seq_++;
  event.set_seq(seq);
  event.set_at(rfc3339_ms(now_ms));
  std::string json = to_json(event);
  buffer_.emplace_back(seq, json);
  while (buffer_.size() > capacity_) buffer_.pop_front();
  // A sink may unsubscribe itself (its connection failed) while we deliver.
  for (auto it = sinks_.begin(); it != sinks_.end();) {
    auto current = it++;
    current->second(json);
  }
  return seq;
}

std::uint64_t EventHub::subscribe(std::uint64_t since, Sink sink) {
  std::uint64_t first = buffer_.empty() ? next_seq_ : buffer_.front().first;
  if (since + 1 < first && since < next_seq_ - 1) {
    pma::v1::Event gap;
    gap.set_seq(0);
    gap.mutable_replay_gap()->set_requested_after(since);
    gap.mutable_replay_gap()->set_first_available(first);
    sink(to_json(gap));
  }
  for (const auto& [seq, json] : buffer_) {
    if (seq > since) sink(json);
  }
  std::uint64_t id = next_sink_++;
  sinks_.emplace(id, std::move(sink));
  return id;
}

void EventHub::unsubscribe(std::uint64_t id) { sinks_.erase(id); }

}  // namespace pma::api
