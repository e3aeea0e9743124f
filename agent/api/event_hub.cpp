#include "agent/api/event_hub.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "agent/api/json.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace {

std::string rfc3339_ms(std::int64_t ms) {
  auto seconds = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds), ms % 1000);
}

}  // namespace

std::string random_boot_id() {
  std::random_device random;
  const std::uint64_t id = (std::uint64_t{random()} << 32) | random();
  return fmt::format("{:016x}", id);
}

Result<std::optional<std::uint64_t>> parse_since(std::string_view text) {
  if (text.empty()) return std::optional<std::uint64_t>();
  std::uint64_t value = 0;
  const bool digits = text.size() <= 20 && std::all_of(text.begin(), text.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits || ec != std::errc() || end != text.data() + text.size()) {
    return fail(err::invalid_request,
                fmt::format("since must be the seq of the last event received, a whole number "
                            "from 0 to 18446744073709551615; got \"{}\"",
                            text.substr(0, 24)));
  }
  return std::optional<std::uint64_t>(value);
}

std::uint64_t EventHub::publish(pma::v1::Event event, std::int64_t now_ms) {
  std::uint64_t seq = next_seq_++;
  event.set_seq(seq);
  event.set_boot_id(boot_id_);
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
  // Behind what the buffer holds, or ahead of anything this boot numbered.
  if ((since + 1 < first && since < next_seq_ - 1) || since >= next_seq_) {
    pma::v1::Event gap;
    gap.set_seq(0);
    gap.set_boot_id(boot_id_);
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
