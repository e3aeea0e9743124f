// The HTML of the status page at GET / (see status_page.h). Plain HTML and JavaScript, no
// framework, no external resources; every value is inserted as text, never as HTML.
#include <string_view>

#include "agent/api/status_page.h"

namespace pma::api {

const std::string_view kStatusPageHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memberd status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.4em; margin: 0 0 .3em; }
  h2 { font-size: 1.1em; margin: 1.2em 0 .3em; }
  table { border-collapse: collapse; min-width: 28em; }
  td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
  .ready, .ok { color: #17702c; } .error, .bad { color: #b00020; } .absent { color: #8a6d00; }
  #login { margin: 1em 0; } #login input { width: 36em; font-family: monospace; }
  #problem { color: #b00020; font-weight: bold; }
  #events li { font-family: monospace; }
</style>
</head>
<body>
<h1>memberd status <span id="where"></span></h1>
<div>version <b id="version">-</b> &middot; up <span id="uptime">-</span> &middot;
  members <span id="members">-</span> &middot; event stream <b id="stream">off</b></div>
<form id="login">
  <label>API token (the api-token file):
    <input id="token" type="password" autocomplete="off"></label>
  <button id="show" type="submit">Show status</button>
</form>
<p id="problem"></p>
<h2>Devices</h2>
<table><thead><tr><th>name</th><th>kind</th><th>state</th><th>reason</th></tr></thead>
  <tbody id="devices"></tbody></table>
<h2>Print queue</h2>
<table><thead><tr><th>printer</th><th>jobs waiting</th></tr></thead>
  <tbody id="print-queue"></tbody></table>
<h2>Outbox and sync with HQ</h2>
<table><tbody>
  <tr><th>outbox (deltas HQ has not acknowledged)</th><td id="outbox-depth">-</td></tr>
  <tr><th>oldest unsent</th><td id="outbox-age">-</td></tr>
  <tr><th>sync</th><td id="sync-state">-</td></tr>
  <tr><th>last success</th><td id="sync-last-success">-</td></tr>
  <tr><th>consecutive failures</th><td id="sync-failures">-</td></tr>
</tbody></table>
<h2>Last errors</h2>
<ul id="errors"><li>none</li></ul>
<h2>Events (newest first)</h2>
<ol id="events" reversed></ol>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("pma-token") || "";
let socket = null, lastSeq = 0, refreshTimer = null, liveErrors = [];

function cell(row, text, cls) {
  const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td;
}
function duration(seconds) {
  seconds = Number(seconds);
  if (seconds < 120) return seconds + " s";
  if (seconds < 7200) return Math.round(seconds / 60) + " min";
  return (seconds / 3600).toFixed(1) + " h";
}
async function call(path) {
  const answer = await fetch(path, { headers: { "Authorization": "Bearer " + token } });
  const text = await answer.text();
  if (!answer.ok) {
    let error = { code: "http_" + answer.status, message: text };
    try { error = JSON.parse(text); } catch (e) { /* not JSON */ }
    throw error;
  }
  return text;
}
// Prometheus text: the samples of one family as [{labels}, value].
function samples(text, family) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(family + "{") && !line.startsWith(family + " ")) continue;
    const labels = {};
    const open = line.indexOf("{"), close = line.lastIndexOf("}");
    if (open >= 0 && close > open) {
      for (const m of line.slice(open + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1]] = m[2];
      }
    }
    out.push([labels, Number(line.slice(line.lastIndexOf(" ") + 1))]);
  }
  return out;
}
function render(health, metrics) {
  $("where").textContent = "— store " + health.storeId + ", terminal " + health.terminalId;
  $("version").textContent = health.version;
  $("uptime").textContent = duration(health.uptimeSeconds);
  $("members").textContent = health.members;
  const devices = $("devices"); devices.replaceChildren();
  const errors = [];
  for (const d of health.devices) {
    const row = devices.insertRow(); row.dataset.device = d.name;
    cell(row, d.name); cell(row, d.kind); cell(row, d.state, d.state); cell(row, d.reason);
    if (d.state !== "ready") errors.push(d.kind + " " + d.name + ": " + d.state +
                                         (d.reason ? " (" + d.reason + ")" : ""));
  }
  const queue = $("print-queue"); queue.replaceChildren();
  for (const [labels, value] of samples(metrics, "pma_print_queue_depth")) {
    const row = queue.insertRow(); row.dataset.printer = labels.printer;
    cell(row, labels.printer); cell(row, String(value), value > 0 ? "bad" : "ok");
  }
  const s = health.sync;
  $("outbox-depth").textContent = s.outboxDepth;
  $("outbox-age").textContent = Number(s.outboxDepth) > 0 ? duration(s.oldestUnsentAgeSeconds) : "-";
  $("sync-state").textContent = !s.enabled ? "standalone (no [sync] hq_host)"
      : s.hqReachable ? "HQ reachable" : "HQ unreachable";
  $("sync-state").className = !s.enabled ? "" : s.hqReachable ? "ok" : "bad";
  $("sync-last-success").textContent = s.lastSuccess || "never";
  $("sync-failures").textContent = s.consecutiveFailures;
  if (s.lastError) errors.push("sync: " + s.lastError);
  for (const [labels, value] of samples(metrics, "pma_api_responses_total")) {
    if (String(labels.status).startsWith("5") && value > 0) {
      errors.push(value + " answers " + labels.status + " on " + labels.route + " since start");
    }
  }
  const list = $("errors"); list.replaceChildren();
  for (const text of errors.concat(liveErrors)) {
    const li = document.createElement("li"); li.textContent = text; li.className = "error";
    list.append(li);
  }
  if (!list.children.length) { const li = document.createElement("li"); li.textContent = "none"; list.append(li); }
}
async function refresh() {
  try {
    const [health, metrics] = await Promise.all([call("/v1/health"), call("/metrics")]);
    render(JSON.parse(health), metrics);
    $("problem").textContent = "";
    document.body.dataset.loaded = "yes";
    return true;
  } catch (error) {
    $("problem").textContent = error.code + ": " + error.message;
    return false;
  }
}
function scheduleRefresh() {  // many events in a burst: one refresh
  if (refreshTimer === null) refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 200);
}
function logEvent(event) {
  let text = event.at + " #" + event.seq + " ";
  if (event.scan) {
    const s = event.scan;
    text += "scan on " + s.device + ": " + s.kind + (s.accepted ? " accepted" : " rejected: " +
            s.reasonCode + " " + s.reason);
    if (!s.accepted) liveErrors.unshift(event.at + " scan on " + s.device + ": " + s.reason);
  } else if (event.device) {
    const d = event.device;
    text += d.kind + " " + d.name + " " + d.state + (d.reason ? ": " + d.reason : "");
    if (d.state === "error") liveErrors.unshift(event.at + " " + d.kind + " " + d.name + ": " + d.reason);
  } else if (event.replayGap) {
    text += "missed events before #" + event.replayGap.firstAvailable;
  }
  liveErrors = liveErrors.slice(0, 10);
  const li = document.createElement("li"); li.textContent = text;
  $("events").prepend(li);
  while ($("events").children.length > 50) $("events").lastChild.remove();
}
function follow() {
  if (socket) socket.close();
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/v1/events?since=" + lastSeq +
                         "&access_token=" + encodeURIComponent(token));
  const mine = socket;
  socket.onopen = () => { $("stream").textContent = "live"; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    lastSeq = Math.max(lastSeq, Number(event.seq));
    logEvent(event); scheduleRefresh();
  };
  socket.onclose = () => {
    if (socket !== mine) return;
    $("stream").textContent = "lost, retrying";
    setTimeout(() => { if (socket === mine) follow(); }, 2000);
  };
}
$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("pma-token", token);
  refresh().then((ok) => { if (ok) follow(); });
});
setInterval(() => { if (token) refresh(); }, 10000);  // outbox age and queues have no events
if (token) { $("token").value = token; refresh().then((ok) => { if (ok) follow(); }); }
</script>
</body>
</html>
)html";

}  // namespace pma::api
