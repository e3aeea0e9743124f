#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing POS Member Agent need.
# Idempotent: when every package is present it prints one line and touches nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libsqlite3-dev sqlite3
  # memberhq's PostgreSQL sink (libpq) and its tests' throwaway PostgreSQL 15 clusters.
  libpq-dev postgresql-15
  libboost1.81-dev libboost-url1.81-dev libhowardhinnant-date-dev libutfcpp-dev
  libprotobuf-dev protobuf-compiler
  libserialport-dev
  catch2
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libzstd-dev libssl-dev openssl
  libsystemd-dev
  # Packaging and its test (tests/packaging): .deb build, man pages, unit and package checks.
  adduser dpkg-dev fakeroot file help2man lintian man-db systemd
  # The browser tests (tests/web): the example web till and the status page in headless Chromium
  # (a CJK font, so that screenshots show Chinese names).
  chromium chromium-driver fonts-wqy-microhei
  # The OpenAPI document's checks (tests/api/openapi_check.py: JSON Schema draft 2020-12).
  python3 python3-jsonschema
  # memberctl receipt preview (tests/printer): FreeType, libqrencode, libpng; zbar reads its QR.
  libfreetype-dev libqrencode-dev libpng-dev libzbar-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Quiet on success; the whole apt log on failure.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
  >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
echo "install-deps: done"
