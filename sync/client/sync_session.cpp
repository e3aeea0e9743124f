// SyncClient::run_once: one session (handshake, upstream batches, downstream pages).
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <random>

#include "sync/client/client_state.h"
#include "sync/client/connect.h"
#include "sync/client/sync_client.h"
#include "sync/net/frame_stream.h"
#include "sync/net/watchdog.h"
#include "sync/wire/messages.h"

namespace pma::sync {

namespace asio = boost::asio;

namespace {

constexpr std::uint32_t kProtocolVersion = 1;

// A Batch payload built straight from stored Delta bytes: field 1 (Batch.deltas),
// length-delimited, each; the tag and length varints are written by protobuf's own encoder.
std::vector<std::uint8_t> batch_bytes(const std::vector<OutboxEntry>& entries) {
  using google::protobuf::io::CodedOutputStream;
  constexpr std::uint32_t kDeltasTag = (1 << 3) | 2;  // field 1, wire type 2 (length-delimited)
  std::size_t total = 0;
  for (const auto& e : entries) {
    total += CodedOutputStream::VarintSize32(kDeltasTag) +
             CodedOutputStream::VarintSize64(e.payload.size()) + e.payload.size();
  }
  std::vector<std::uint8_t> out(total);
  {
    // The stream may hold the last bytes until it is destroyed, so it ends before out is used.
    google::protobuf::io::ArrayOutputStream array(out.data(), static_cast<int>(out.size()));
    CodedOutputStream coded(&array);
    for (const auto& e : entries) {
      coded.WriteTag(kDeltasTag);
      coded.WriteVarint64(e.payload.size());
      coded.WriteRaw(e.payload.data(), static_cast<int>(e.payload.size()));
    }
  }
  return out;
}

// The same deltas parsed, for the columnar form (HQ protocol >= 2).
Result<std::vector<std::uint8_t>> columnar_batch_frame(const std::vector<OutboxEntry>& entries) {
  pma::v1::Batch batch;
  for (const auto& e : entries) {
    if (!batch.add_deltas()->ParseFromArray(e.payload.data(), static_cast<int>(e.payload.size()))) {
      return fail("outbox_garbled", fmt::format("outbox seq {} is not a Delta", e.seq));
    }
  }
  return wire::encode_batch(std::move(batch), true);
}

// Writes out, then reads the answer, under the watchdog.
asio::awaitable<Result<wire::Frame>> exchange(TlsStream& stream, net::Watchdog& watchdog,
                                              std::chrono::milliseconds timeout,
                                              const std::vector<std::uint8_t>& out) {
  watchdog.arm(timeout);
  if (auto ok = co_await net::write_frame(stream, out); !ok) {
    co_return std::unexpected(ok.error());
  }
  co_return co_await net::read_frame(stream, wire::kDefaultMaxPayload);
}

// How a session that connected ends when its first read fails. net::read_frame reports a
// certificate refusal that only arrives after the handshake (TLS 1.3: on the first read) by its
// code alone, so this is the one place a code is read.
SessionEnd end_of_first_read(const Error& error) {
  return error.code == "tls_refused" ? SessionEnd::certificate_refused : SessionEnd::dropped;
}

}  // namespace

asio::awaitable<Result<SyncReport>> SyncClient::run_once(ProgressFn progress, bool full_reconcile) {
  co_return (co_await run_session(std::move(progress), full_reconcile)).result;
}

asio::awaitable<SessionOutcome> SyncClient::run_session(ProgressFn progress, bool full_reconcile) {
  auto state = state_;
  if (state->in_session) {
    co_return SessionOutcome{SessionEnd::already_running,
                             fail("sync_in_progress", "a sync session is already running")};
  }
  if (!state->tls) {
    if (auto ok = config_.validate(); !ok) {
      co_return SessionOutcome{SessionEnd::local, std::unexpected(ok.error())};
    }
    auto tls = net::make_client_context(config_.tls);
    if (!tls) co_return SessionOutcome{SessionEnd::local, std::unexpected(tls.error())};
    state->tls = *tls;
  }
  state->in_session = true;
  struct Leave {
    State& s;
    ~Leave() { s.in_session = false; }
  } leave{*state};
  SyncProgress p;
  auto report_progress = [&] {
    if (progress) progress(p);
  };
  const auto addresses = config_.hq_addresses();
  auto failed = [&](SessionEnd end, Error error) -> SessionOutcome {
    if (end != SessionEnd::busy) ++state->failures;
    state->last_error = fmt::format("{}: {}", error.code, error.message);
    if (end == SessionEnd::unreachable) {
      state->reachable = false;
      state->refusal.clear();  // HQ is down or cut off (or timed out): it refuses nothing
    } else if (end == SessionEnd::certificate_refused) {
      // HQ does not take our certificate (or we not HQ's): during the handshake, or with
      // TLS 1.3 on the first read after it.
      state->reachable = false;
      state->refusal = state->last_error;
    } else if (end == SessionEnd::dropped && addresses.size() > 1) {
      // This node dropped the session: the next one starts at the next node.
      state->hq_index = (state->hq_index + 1) % addresses.size();
    }
    return SessionOutcome{end, std::unexpected(std::move(error))};
  };
  report_progress();

  if (auto ok = store_.check_pairing(); !ok) co_return failed(SessionEnd::local, ok.error());

  std::weak_ptr<State> weak_state = state;
  net::Watchdog watchdog(io_.get_executor(), [weak_state] {
    auto s = weak_state.lock();
    if (auto stream = s ? s->current.lock() : nullptr) {
      boost::system::error_code ignored;
      stream->lowest_layer().close(ignored);
    }
  });
  // Each HQ address in turn from current_hq(), until one connects; a refused certificate is
  // configuration, the same at every node, so it ends the attempt.
  std::shared_ptr<TlsStream> stream;
  std::optional<ConnectError> not_connected;
  for (std::size_t tried = 0; tried < addresses.size(); ++tried) {
    const std::size_t index = (state->hq_index + tried) % addresses.size();
    stream = std::make_shared<TlsStream>(io_, *state->tls);
    state->current = stream;
    watchdog.arm(config_.io_timeout);
    auto connected = co_await connect_tls(*stream, addresses[index]);
    if (connected) {
      state->hq_index = index;
      not_connected.reset();
      break;
    }
    not_connected = connected.error();
    if (not_connected->kind == ConnectFailure::certificate_refused) break;
    if (tried + 1 < addresses.size()) {
      spdlog::warn("sync: {}: {}; trying the next HQ address", not_connected->error.code,
                   not_connected->error.message);
    }
  }
  if (not_connected) {
    co_return failed(not_connected->kind == ConnectFailure::certificate_refused
                         ? SessionEnd::certificate_refused
                         : SessionEnd::unreachable,
                     std::move(not_connected->error));
  }

  if (full_reconcile) {
    if (auto ok = store_.reset_member_cursor(); !ok)
      co_return failed(SessionEnd::local, ok.error());
  }
  auto cursor = store_.downstream_cursor();
  if (!cursor) co_return failed(SessionEnd::local, cursor.error());
  pma::v1::Hello hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_member_cursor(cursor->member_cursor);
  hello.set_rule_set_version(cursor->rule_set_version);
  auto unmapped = store_.unmapped_ids(wire::kMaxUnmappedIds);
  if (!unmapped) co_return failed(SessionEnd::local, unmapped.error());
  for (auto& id : *unmapped) hello.add_provisional_ids(std::move(id));
  auto out = wire::encode_message(wire::FrameType::hello, hello);
  auto frame = co_await exchange(*stream, watchdog, config_.io_timeout, out);
  if (!frame) co_return failed(end_of_first_read(frame.error()), frame.error());
  state->reachable = true;  // HQ answered (a refusal below says otherwise)
  if (frame->type == wire::FrameType::busy) {
    pma::v1::Busy busy;
    (void)wire::decode_message(*frame, wire::FrameType::busy, busy);
    state->retry_after_ms = busy.retry_after_ms();
    co_return failed(SessionEnd::busy, {"hq_busy", fmt::format("HQ is busy; retry after {} ms",
                                                               busy.retry_after_ms())});
  }
  if (frame->type == wire::FrameType::error) {
    // HQ refused the session (e.g. terminal_revoked): its code and message, as HQ gave them.
    // HQ answers but will not serve this terminal, so it is not reachable for it (unlike Busy,
    // which only says "later").
    Error refused = wire::peer_error(*frame, "hq_refused");
    Error error{refused.code, fmt::format("HQ refused the session: {}", refused.message)};
    state->reachable = false;
    state->refusal = fmt::format("{}: {}", error.code, error.message);
    co_return failed(SessionEnd::refused, std::move(error));
  }
  pma::v1::Handshake handshake;
  if (auto ok = wire::decode_message(*frame, wire::FrameType::handshake, handshake); !ok) {
    co_return failed(SessionEnd::dropped, ok.error());
  }
  state->refusal.clear();
  if (auto ok = store_.on_handshake(handshake.highest_applied_seq(),
                                    std::vector<pma::v1::IdMapping>(handshake.id_mappings().begin(),
                                                                    handshake.id_mappings().end()));
      !ok) {
    co_return failed(SessionEnd::local, ok.error());
  }
  SyncReport report;
  report.hq_highest_seq = handshake.highest_applied_seq();

  // Upstream.
  p.phase = SyncProgress::Phase::upstream;
  p.acked_seq = report.hq_highest_seq;
  report_progress();
  std::size_t max_count = config_.max_batch_deltas;
  if (handshake.max_batch_deltas() > 0) {
    max_count = std::min<std::size_t>(max_count, handshake.max_batch_deltas());
  }
  std::uint64_t next = report.hq_highest_seq + 1;
  int resends = 0;
  for (;;) {
    auto entries = store_.outbox_from(next, max_count, config_.max_batch_bytes);
    if (!entries) co_return failed(SessionEnd::local, entries.error());
    if (entries->empty()) break;
    std::uint64_t last_sent = entries->back().seq;
    out.clear();
    if (handshake.protocol_version() >= wire::kColumnarProtocolVersion) {
      auto columnar = columnar_batch_frame(*entries);
      if (!columnar) co_return failed(SessionEnd::local, columnar.error());
      out = std::move(*columnar);
    } else {
      wire::append_frame(out, wire::FrameType::batch, wire::zstd_compress(batch_bytes(*entries)));
    }
    p.deltas_sent += entries->size();
    frame = co_await exchange(*stream, watchdog, config_.io_timeout, out);
    if (!frame) co_return failed(SessionEnd::dropped, frame.error());
    if (frame->type == wire::FrameType::resend_request) {
      pma::v1::ResendRequest resend;
      if (auto ok = wire::decode_message(*frame, wire::FrameType::resend_request, resend); !ok) {
        co_return failed(SessionEnd::dropped, ok.error());
      }
      if (++resends > 3 || resend.from_seq() < report.hq_highest_seq + 1) {
        co_return failed(SessionEnd::dropped,
                         {"protocol", fmt::format("HQ keeps asking to resend from {}; the "
                                                  "outbox cannot fill the gap",
                                                  resend.from_seq())});
      }
      next = resend.from_seq();
      continue;
    }
    pma::v1::Ack ack;
    if (auto ok = wire::decode_message(*frame, wire::FrameType::ack, ack); !ok) {
      co_return failed(SessionEnd::dropped, ok.error());
    }
    if (ack.highest_applied_seq() < report.hq_highest_seq ||
        ack.highest_applied_seq() > last_sent) {
      co_return failed(SessionEnd::dropped,
                       {"protocol", fmt::format("ack {} outside the sent range {}..{}",
                                                ack.highest_applied_seq(), next, last_sent)});
    }
    if (auto ok = store_.acknowledge(
            ack.highest_applied_seq(),
            std::vector<pma::v1::IdMapping>(ack.id_mappings().begin(), ack.id_mappings().end()));
        !ok) {
      co_return failed(SessionEnd::local, ok.error());
    }
    report.deltas_acked += ack.highest_applied_seq() - report.hq_highest_seq;
    report.hq_highest_seq = ack.highest_applied_seq();
    p.acked_seq = report.hq_highest_seq;
    report_progress();
    if (ack.highest_applied_seq() < last_sent) {
      co_return failed(SessionEnd::dropped,
                       {"protocol", fmt::format("HQ applied up to {} of {}",
                                                ack.highest_applied_seq(), last_sent)});
    }
    next = last_sent + 1;
    resends = 0;
  }

  // Downstream, one bounded page per transaction.
  p.phase = SyncProgress::Phase::downstream;
  report_progress();
  for (;;) {
    pma::v1::PullRequest pull;
    pull.set_member_cursor(cursor->member_cursor);
    pull.set_max_members(config_.max_page_members);
    pull.set_rule_set_version(cursor->rule_set_version);
    out = wire::encode_message(wire::FrameType::pull_request, pull);
    frame = co_await exchange(*stream, watchdog, config_.io_timeout, out);
    if (!frame) co_return failed(SessionEnd::dropped, frame.error());
    pma::v1::MemberPage page;
    if (auto ok = wire::decode_message(*frame, wire::FrameType::member_page, page); !ok) {
      co_return failed(SessionEnd::dropped, ok.error());
    }
    if (auto ok = store_.apply_member_page(page, clock_.now_s()); !ok) {
      co_return failed(SessionEnd::local, ok.error());
    }
    report.members_applied += static_cast<std::uint64_t>(page.members_size());
    p.members_applied = report.members_applied;
    report_progress();
    cursor->member_cursor = page.next_cursor();
    if (page.has_rule_set()) {
      cursor->rule_set_version = page.rule_set().version();
      report.rule_set_updated = true;
      // Stored with the page above, so a restart loads it; the observer puts it in force now.
      if (state->on_rule_set) state->on_rule_set(page.rule_set());
    }
    if (!page.more()) break;
  }

  out = wire::encode_message(wire::FrameType::bye, pma::v1::Bye());
  watchdog.arm(std::chrono::milliseconds(2000));
  (void)co_await net::write_frame(*stream, out);
  (void)co_await stream->async_shutdown(asio::as_tuple(asio::use_awaitable));
  watchdog.disarm();
  state->failures = 0;
  state->last_error.clear();
  (void)store_.set_state("sync.last_success_ms", std::to_string(clock_.now_ms()));
  p.phase = SyncProgress::Phase::done;
  report_progress();
  co_return SessionOutcome{SessionEnd::completed, report};
}

}  // namespace pma::sync
