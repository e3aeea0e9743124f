#include "sync/hq/admin_endpoints.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pma::hq {

AdminHandlers admin_endpoints(const Server& server, Reservations& reservations,
                              OperationsReads& reads, const pma::Clock& clock) {
  auto gauges = [&reservations, &reads, &clock] {
    DatabaseGauges g;
    if (auto holds = reservations.active_holds(clock.now_ms())) g.holds_in_force = *holds;
    if (auto conflicts = reads.conflict_count()) g.conflicts = *conflicts;
    return g;
  };
  AdminHandlers handlers;
  handlers.metrics = [&server, &clock, gauges] {
    return AdminReply{
        200, kPrometheusContentType,
        render_prometheus(server.stats(), server.metrics(), gauges(), clock.now_ms())};
  };
  handlers.health = [&server, &reads] {
    auto conflicts = reads.conflict_count();
    if (!conflicts) {
      spdlog::warn("hq admin: /health: database unavailable: {}", conflicts.error().message);
    }
    const bool up = conflicts.has_value();
    return AdminReply{up ? 200 : 503, "application/json",
                      fmt::format("{{\"status\":\"{}\",\"sessions_open\":{}}}\n",
                                  up ? "ok" : "unavailable", server.stats().sessions_active)};
  };
  return handlers;
}

}  // namespace pma::hq
