#!/usr/bin/env bash
# One entry point for a source checkout on Debian 12:
#   packaging/dev.sh run    install deps, build, start memberd on its embedded default (demo data)
#   packaging/dev.sh test   install deps, build, run the whole test suite through CTest
#   packaging/dev.sh bench  install deps, build (Release), run every benchmark in tests/bench/
#   packaging/dev.sh package  install deps, build, write the .debs to build/packages/
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
command=${1:-}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

configure_and_build() {
  local dir=$1 type=$2
  bash packaging/install-deps.sh
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DPMA_WERROR=ON >/dev/null
  cmake --build "$dir" -j "$jobs"
}

case "$command" in
  run)
    configure_and_build build RelWithDebInfo
    mkdir -p .state
    exec build/bin/memberd --state-dir "$here/.state" --demo "$@"
    ;;
  test)
    configure_and_build build RelWithDebInfo
    cd build
    exec ctest --output-on-failure -j "$jobs" "$@"
    ;;
  bench)
    configure_and_build build-release Release
    for bench in build-release/bench/bench_*; do
      [ -x "$bench" ] || continue
      echo "== $(basename "$bench")"
      "$bench" "$@"
    done
    ;;
  package)
    configure_and_build build RelWithDebInfo
    cd build
    cpack -G DEB "$@"
    ls -1 "$PWD"/packages/*.deb
    ;;
  *)
    echo "usage: packaging/dev.sh run|test|bench|package [args...]" >&2
    echo "  run    build and start memberd with demo members under ./.state" >&2
    echo "  test   build and run the whole test suite (CTest)" >&2
    echo "  bench  build in Release and run the benchmarks in tests/bench/" >&2
    echo "  package  build and write the Debian packages to build/packages/" >&2
    exit 2
    ;;
esac
