#!/usr/bin/env bash
# Builds the .debs with cpack, checks them with lintian, installs them on this machine with
# dpkg, checks users, files, owners and modes, verifies the systemd units, reinstalls (upgrade
# keeps secrets and local config), removes (data kept) and purges (everything gone).
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
for tool in cpack lintian systemd-analyze dpkg-shlibdeps fakeroot help2man; do
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

work=$(mktemp -d)
installed=()
cleanup() {
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
for lib in adduser libc6 libsqlite3-0 libssl3 libstdc++6; do
  [[ "$depends" == *"$lib"* ]] || fail "memberd does not depend on $lib"
done
dpkg-deb --ctrl-tarfile "$memberd_deb" | tar -xO ./conffiles | grep -qx /etc/memberd/memberd.toml ||
  fail "/etc/memberd/memberd.toml is not a conffile"

step "lintian (errors and warnings fail; accepted ones are in packaging/debian/*.lintian-overrides)"
lintian_rc=0
lintian --fail-on error,warning "${debs[@]}" >"$work/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'root privileges is not recommended' "$work/lintian.log" | sed 's/^/   /' || true
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors or warnings (exit $lintian_rc)"

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
expect_mode_owner /var/lib/memberd "0700 memberd:memberd"
expect_mode_owner /var/lib/memberd/api-token "0640 memberd:memberd-pos"
expect_mode_owner /var/lib/memberd/phone-hash.key "0600 memberd:memberd"
grep -Eqx '[0-9a-f]{64}' /var/lib/memberd/api-token || fail "api-token is not 64 hex characters"
grep -Eqx '[0-9a-f]{64}' /var/lib/memberd/phone-hash.key || fail "phone-hash.key is not 64 hex"
cmp -s /var/lib/memberd/api-token /var/lib/memberd/phone-hash.key && fail "token equals the key"
expect_mode_owner /usr/sbin/memberd "0755 root:root"
expect_mode_owner /usr/bin/memberctl "0755 root:root"
expect_mode_owner /etc/memberd/memberd.toml "0644 root:root"
expect_mode_owner /lib/systemd/system/memberd.service "0644 root:root"
[ -f /usr/share/doc/memberd/examples/60-pma-devices.rules ] || fail "udev rules example missing"
man -w memberd >/dev/null && man -w memberctl >/dev/null || fail "man pages not found by man"
/usr/sbin/memberd --version | grep -q memberd || fail "memberd --version"
runuser -u memberd -- /usr/sbin/memberd --config /etc/memberd/memberd.toml --check-config \
  >/dev/null || fail "memberd --check-config on the installed config, as user memberd"
runuser -u memberd -- cat /var/lib/memberd/api-token >/dev/null || fail "memberd cannot read its token"
if [ "$has_hq" -eq 1 ]; then
  getent passwd memberhq >/dev/null || fail "user memberhq missing"
  expect_mode_owner /var/lib/memberhq "0700 memberhq:memberhq"
  expect_mode_owner /usr/sbin/memberhq "0755 root:root"
  man -w memberhq >/dev/null || fail "memberhq man page not found"
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

step "reinstall (upgrade path) keeps the secrets and a locally edited config"
token_before=$(sha256sum </var/lib/memberd/api-token)
key_before=$(sha256sum </var/lib/memberd/phone-hash.key)
echo '# edited by store IT' >>/etc/memberd/memberd.toml
dpkg -i "${debs[@]}" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "reinstall failed"; }
[ "$(sha256sum </var/lib/memberd/api-token)" = "$token_before" ] || fail "upgrade replaced the token"
[ "$(sha256sum </var/lib/memberd/phone-hash.key)" = "$key_before" ] || fail "upgrade replaced the key"
grep -q 'edited by store IT' /etc/memberd/memberd.toml || fail "upgrade lost the local config edit"
expect_mode_owner /var/lib/memberd/api-token "0640 memberd:memberd-pos"

step "dpkg --remove keeps data, user and config"
dpkg --remove "${names[@]}" >/dev/null 2>&1 || fail "dpkg --remove failed"
expect_absent /usr/sbin/memberd
expect_absent /usr/bin/memberctl
expect_absent /lib/systemd/system/memberd.service
[ -f /var/lib/memberd/api-token ] || fail "remove deleted the token"
[ -f /var/lib/memberd/phone-hash.key ] || fail "remove deleted the phone-hash key"
[ -f /etc/memberd/memberd.toml ] || fail "remove deleted the conffile"
getent passwd memberd >/dev/null || fail "remove deleted user memberd"

step "dpkg --purge removes everything"
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
