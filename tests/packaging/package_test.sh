#!/usr/bin/env bash
# Builds the .debs with cpack, checks them with lintian, installs them on this machine with
# dpkg, checks users, files, owners and modes, who can read the API token, the hardening of the
# programs, verifies the systemd units, runs the installed memberd as its unit would (user
# memberd, watchdog) and scrapes /metrics with the token, reinstalls (upgrade keeps secrets and
# local config, carries over a token from the old state-folder place), removes (data kept) and
# purges (everything gone).
# usage: package_test.sh BUILD_DIR SOURCE_DIR
# Exit 77 (skipped, reason printed) when not root, without dpkg, or when memberd/memberhq are
# already installed here (a real install is never touched). Machine-wide lock: one at a time.
set -euo pipefail

build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || skip "installing packages needs root (this test runs dpkg -i and --purge)"
command -v dpkg >/dev/null || skip "dpkg is not available on this machine"
for tool in cpack lintian systemd-analyze dpkg-shlibdeps fakeroot help2man curl readelf runuser setpriv; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run packaging/install-deps.sh"
done

exec 9>/var/lock/pma-package-test.lock
flock -w 600 9 || fail "another package test holds /var/lock/pma-package-test.lock"

for package in memberd memberhq; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'installed\|config-files'; then
    skip "$package is already installed on this machine; not replacing a real install"
  fi
  if getent passwd "$package" >/dev/null; then
    skip "user $package already exists on this machine; not touching it"
  fi
done
# Two stand-ins for the till app's user: one in group memberd-pos, one not.
till_user=pma-pkgtest-till
other_user=pma-pkgtest-other
for user in "$till_user" "$other_user"; do
  getent passwd "$user" >/dev/null && skip "user $user already exists on this machine"
done

work=$(mktemp -d)
installed=()
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  for user in "$till_user" "$other_user"; do
    if getent passwd "$user" >/dev/null; then userdel "$user" >/dev/null 2>&1 || true; fi
  done
  if [ ${#installed[@]} -gt 0 ]; then
    dpkg --purge "${installed[@]}" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# mode_owner PATH: "0640 memberd:memberd-pos"
mode_owner() { stat -c '%04a %U:%G' "$1"; }
expect_mode_owner() {
  local got
  got=$(mode_owner "$1") || fail "$1 is missing"
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}
expect_absent() { [ ! -e "$1" ] || fail "$1 still exists"; }

step "build the programs and man pages, then cpack"
targets=(memberd memberctl pma_manpages pma_package_docs)
has_hq=0
if grep -q '^set(CPACK_COMPONENTS_ALL ".*memberhq' "$build/CPackConfig.cmake"; then
  targets+=(memberhq)
  has_hq=1
fi
cmake --build "$build" --target "${targets[@]}" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; fail "building ${targets[*]} failed"; }
(cd "$build" && cpack -G DEB -B "$work/packages") >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
shopt -s nullglob
debs=("$work"/packages/*.deb)
[ ${#debs[@]} -gt 0 ] || fail "cpack wrote no .deb"
memberd_deb=$(ls "$work"/packages/memberd_*.deb)
printf '   %s\n' "${debs[@]##*/}"
if [ "$has_hq" -eq 1 ]; then
  ls "$work"/packages/memberhq_*.deb >/dev/null || fail "memberhq target exists but no memberhq .deb"
fi

step "control fields"
depends=$(dpkg-deb -f "$memberd_deb" Depends)
echo "   memberd Depends: $depends"
for lib in adduser libc6 libsqlite3-0 libssl3 libstdc++6 fonts-wqy-microhei libqrencode4 libdate-tz3 \
  tzdata; do
  [[ "$depends" == *"$lib"* ]] || fail "memberd does not depend on $lib"
done
dpkg-deb --ctrl-tarfile "$memberd_deb" | tar -xO ./conffiles | grep -qx /etc/memberd/memberd.toml ||
  fail "/etc/memberd/memberd.toml is not a conffile"

step "lintian (errors, warnings and hardening-* fail; accepted ones are in packaging/debian/*.lintian-overrides)"
lintian_rc=0
lintian --fail-on error,warning --display-info "${debs[@]}" >"$work/lintian.log" 2>&1 ||
  lintian_rc=$?
grep -v 'root privileges is not recommended' "$work/lintian.log" | sed 's/^/   /' || true
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors or warnings (exit $lintian_rc)"
if grep -E '^[EWI]: .*hardening-' "$work/lintian.log"; then
  fail "lintian reports missing hardening (see packaging/CMakeLists.txt)"
fi

step "dpkg -i"
names=()
for deb in "${debs[@]}"; do names+=("$(dpkg-deb -f "$deb" Package)"); done
installed=("${names[@]}")
dpkg -i "${debs[@]}" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i failed"; }
cat "$work/install.log" | grep -v '^(Reading database\|^Selecting\|^Preparing\|^Unpacking\|^Setting up' | sed 's/^/   /' || true

step "user, groups, files, owners and modes"
getent passwd memberd >/dev/null || fail "user memberd missing"
[ "$(getent passwd memberd | cut -d: -f7)" = /usr/sbin/nologin ] || fail "memberd has a login shell"
for group in dialout lp; do
  id -nG memberd | tr ' ' '\n' | grep -qx "$group" || fail "memberd is not in group $group"
done
getent group memberd-pos >/dev/null || fail "group memberd-pos missing"
token=/etc/memberd/api-token
expect_mode_owner /var/lib/memberd "0700 memberd:memberd"
expect_mode_owner /etc/memberd "0755 root:root"
expect_mode_owner "$token" "0640 memberd:memberd-pos"
expect_mode_owner /var/lib/memberd/phone-hash.key "0600 memberd:memberd"
expect_absent /var/lib/memberd/api-token
grep -Eqx '[0-9a-f]{64}' "$token" || fail "api-token is not 64 hex characters"
grep -Eqx '[0-9a-f]{64}' /var/lib/memberd/phone-hash.key || fail "phone-hash.key is not 64 hex"
cmp -s "$token" /var/lib/memberd/phone-hash.key && fail "token equals the key"
expect_mode_owner /usr/sbin/memberd "0755 root:root"
expect_mode_owner /usr/bin/memberctl "0755 root:root"
expect_mode_owner /etc/memberd/memberd.toml "0644 root:root"
grep -qx 'token_file = "/etc/memberd/api-token"' /etc/memberd/memberd.toml ||
  fail "the packaged config does not name /etc/memberd/api-token"
expect_mode_owner /lib/systemd/system/memberd.service "0644 root:root"
[ -f /usr/share/doc/memberd/examples/60-pma-devices.rules ] || fail "udev rules example missing"
grep -q '/v1/checkout/commit' /usr/share/doc/memberd/examples/till.html ||
  fail "the example web till (examples/till.html) is missing"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["openapi"] == "3.1.0"' \
  /usr/share/doc/memberd/openapi.json || fail "the OpenAPI document is missing or not OpenAPI 3.1"
man -w memberd >/dev/null && man -w memberctl >/dev/null || fail "man pages not found by man"
/usr/sbin/memberd --version | grep -q memberd || fail "memberd --version"
runuser -u memberd -- /usr/sbin/memberd --config /etc/memberd/memberd.toml --check-config \
  >/dev/null || fail "memberd --check-config on the installed config, as user memberd"
runuser -u memberd -- cat "$token" >/dev/null || fail "memberd cannot read its token"

step "who can read the API token: memberd-pos members yes, other users no"
useradd --system --no-create-home --shell /usr/sbin/nologin --groups memberd-pos "$till_user"
useradd --system --no-create-home --shell /usr/sbin/nologin "$other_user"
runuser -u "$till_user" -- cat "$token" >/dev/null ||
  fail "$till_user (in memberd-pos) cannot read $token"
if runuser -u "$other_user" -- cat "$token" >/dev/null 2>&1; then
  fail "$other_user (not in memberd-pos) can read $token"
fi
if runuser -u "$till_user" -- cat /var/lib/memberd/phone-hash.key >/dev/null 2>&1; then
  fail "$till_user can read the phone-hash key"
fi

step "hardening of the installed programs (full RELRO, bind now, fortified calls, PIE)"
for program in /usr/sbin/memberd /usr/bin/memberctl /usr/sbin/memberhq; do
  [ -e "$program" ] || continue
  # Captured first: `readelf | grep -q` would fail under pipefail when grep stops reading early.
  elf=$(readelf -hlW --dynamic --dyn-syms "$program")
  grep -q GNU_RELRO <<<"$elf" || fail "$program has no RELRO segment"
  grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$elf" || fail "$program is not bind-now"
  grep -q 'DYN (' <<<"$elf" || fail "$program is not PIE"
  grep -Eq '__[a-z0-9_]+_chk' <<<"$elf" || fail "$program calls no fortified (__*_chk) functions"
done
if [ "$has_hq" -eq 1 ]; then
  getent passwd memberhq >/dev/null || fail "user memberhq missing"
  expect_mode_owner /var/lib/memberhq "0700 memberhq:memberhq"
  expect_mode_owner /usr/sbin/memberhq "0755 root:root"
  man -w memberhq >/dev/null || fail "memberhq man page not found"
  expect_mode_owner /etc/memberhq/memberhq.toml "0640 root:memberhq"
  dpkg-deb --ctrl-tarfile "$work"/packages/memberhq_*.deb | tar -xO ./conffiles |
    grep -qx /etc/memberhq/memberhq.toml || fail "/etc/memberhq/memberhq.toml is not a conffile"
  runuser -u memberhq -- /usr/sbin/memberhq --config /etc/memberhq/memberhq.toml --check-config \
    >/dev/null || fail "memberhq --check-config on the installed config, as user memberhq"
fi

step "systemd-analyze verify"
units=(/lib/systemd/system/memberd.service)
[ "$has_hq" -eq 1 ] && units+=(/lib/systemd/system/memberhq.service)
if ! systemd-analyze verify "${units[@]}" >"$work/verify.log" 2>&1; then
  cat "$work/verify.log"
  fail "systemd-analyze verify failed"
fi
if grep -E 'member(d|hq)\.service' "$work/verify.log"; then
  fail "systemd-analyze verify warns about our units"
fi
systemd-analyze security --offline=true /lib/systemd/system/memberd.service 2>/dev/null |
  tail -1 | sed 's/^/   memberd /' || true

step "the installed memberd, run as its unit runs it, serves /metrics to the token's holders"
# A free loopback port: another memberd on this machine may hold 8765.
port=
for candidate in $(shuf -i 20000-60000 -n 20); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || fail "no free loopback port found"
chmod 0755 "$work"
sed "s/^port = 8765\$/port = $port/" /etc/memberd/memberd.toml >"$work/memberd.toml"
grep -qx "port = $port" "$work/memberd.toml" || fail "could not set the port in a config copy"
chmod 0644 "$work/memberd.toml"
# The watchdog as systemd sets it (WATCHDOG_USEC, WATCHDOG_PID): memberd pings at half of it.
notify=()
if [ -x /usr/bin/python3 ]; then
  notify=(/usr/bin/python3 - "$work/notify.sock" "$work/notify.log")
  "${notify[@]}" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.settimeout(60)
seen = []
with open(sys.argv[2], "w") as log:
    while not ("READY=1" in seen and seen.count("WATCHDOG=1") >= 2):
        for line in s.recv(4096).decode().splitlines():
            seen.append(line); log.write(line + "\n"); log.flush()
PY
  notify_pid=$!
  for _ in $(seq 100); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
fi
# setpriv execs (runuser would stay as the parent and turn SIGTERM into its own exit code), so
# $! is memberd itself: User=, Group=, SupplementaryGroups= and UMask= as in the unit.
NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 bash -c '
  umask 0027
  export WATCHDOG_PID=$$
  exec setpriv --reuid=memberd --regid=memberd --groups=dialout,lp,memberd-pos -- \
    /usr/sbin/memberd --config "$1"' _ "$work/memberd.toml" >"$work/memberd.log" 2>&1 &
daemon_pid=$!
up=0
for _ in $(seq 300); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/v1/health"; then up=1; break; fi
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
[ "$up" -eq 1 ] || { cat "$work/memberd.log"; fail "installed memberd did not start listening"; }
till_token=$(runuser -u "$till_user" -- cat "$token")
metrics=$(curl -sf -H "Authorization: Bearer $till_token" "http://127.0.0.1:$port/metrics") ||
  fail "/metrics with the token read by $till_user failed"
for family in pma_api_request_duration_seconds pma_scans_total pma_outbox_depth \
  pma_sync_enabled pma_printer_state pma_scanner_state; do
  grep -q "^# TYPE $family " <<<"$metrics" || fail "/metrics has no $family"
done
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer 0000000000000000" \
  "http://127.0.0.1:$port/metrics")
[ "$status" = 401 ] || fail "/metrics with a wrong token answered $status, expected 401"
runuser -u "$till_user" -- /usr/bin/memberctl --config "$work/memberd.toml" status >"$work/status.txt" ||
  { cat "$work/status.txt"; fail "memberctl status as $till_user failed"; }
grep -q 'store' "$work/status.txt" || fail "memberctl status printed no store"
if [ ${#notify[@]} -gt 0 ]; then
  wait "$notify_pid" || { cat "$work/notify.log" 2>/dev/null; fail "no READY=1 and two WATCHDOG=1 from memberd"; }
  echo "   sd_notify: $(sort "$work/notify.log" | uniq -c | tr -s ' \n' ' ')"
else
  echo "   sd_notify not checked here (no /usr/bin/python3); tests/packaging/systemd_notify_test covers it"
fi
kill -TERM "$daemon_pid"
wait "$daemon_pid" || { cat "$work/memberd.log"; fail "memberd did not exit 0 on SIGTERM"; }
daemon_pid=
grep -q 'stopped cleanly' "$work/memberd.log" || fail "memberd did not log a clean stop"
grep -q "$till_token" "$work/memberd.log" && fail "memberd logged the API token"
expect_absent /var/lib/memberd/api-token
expect_mode_owner /var/lib/memberd/agent.db "0600 memberd:memberd"

step "reinstall (upgrade path) keeps the secrets and a locally edited config"
token_before=$(sha256sum <"$token")
key_before=$(sha256sum </var/lib/memberd/phone-hash.key)
echo '# edited by store IT' >>/etc/memberd/memberd.toml
dpkg -i "${debs[@]}" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "reinstall failed"; }
[ "$(sha256sum <"$token")" = "$token_before" ] || fail "upgrade replaced the token"
[ "$(sha256sum </var/lib/memberd/phone-hash.key)" = "$key_before" ] || fail "upgrade replaced the key"
grep -q 'edited by store IT' /etc/memberd/memberd.toml || fail "upgrade lost the local config edit"
expect_mode_owner "$token" "0640 memberd:memberd-pos"

step "upgrade from a package that kept the token in the state folder carries its value over"
rm -f "$token"
old_token=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "$old_token" >/var/lib/memberd/api-token
chown memberd:memberd-pos /var/lib/memberd/api-token
chmod 0640 /var/lib/memberd/api-token
dpkg -i "$memberd_deb" >"$work/upgrade2.log" 2>&1 || { cat "$work/upgrade2.log"; fail "upgrade failed"; }
expect_mode_owner "$token" "0640 memberd:memberd-pos"
[ "$(cat "$token")" = "$old_token" ] || fail "the old token's value was not carried over"

step "dpkg --remove keeps data, user and config"
dpkg --remove "${names[@]}" >/dev/null 2>&1 || fail "dpkg --remove failed"
expect_absent /usr/sbin/memberd
expect_absent /usr/bin/memberctl
expect_absent /lib/systemd/system/memberd.service
[ -f "$token" ] || fail "remove deleted the token"
[ -f /var/lib/memberd/phone-hash.key ] || fail "remove deleted the phone-hash key"
[ -f /etc/memberd/memberd.toml ] || fail "remove deleted the conffile"
getent passwd memberd >/dev/null || fail "remove deleted user memberd"

step "dpkg --purge removes everything"
for user in "$till_user" "$other_user"; do userdel "$user" || fail "userdel $user"; done
dpkg --purge "${names[@]}" >/dev/null 2>&1 || fail "dpkg --purge failed"
installed=()
expect_absent /var/lib/memberd
expect_absent /etc/memberd
getent passwd memberd >/dev/null && fail "user memberd still exists"
getent group memberd >/dev/null && fail "group memberd still exists"
getent group memberd-pos >/dev/null && fail "group memberd-pos still exists"
if [ "$has_hq" -eq 1 ]; then
  expect_absent /var/lib/memberhq
  getent passwd memberhq >/dev/null && fail "user memberhq still exists"
  getent group memberhq >/dev/null && fail "group memberhq still exists"
fi
for package in "${names[@]}"; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'installed\|config-files'; then
    fail "$package is still known to dpkg"
  fi
done
echo "PASSED: packages built, lint-clean, installed, verified, upgraded, removed and purged"
