#!/usr/bin/env bash
# One entry point for a source checkout on Debian 12:
#   packaging/dev.sh run    install deps, build, start memberd on its embedded default (demo data)
#   packaging/dev.sh test   install deps, build, run the whole test suite through CTest
#   packaging/dev.sh bench  install deps, build (Release), run every benchmark in tests/bench/
#   packaging/dev.sh package  install deps, build, write the .debs to build/packages/
#   packaging/dev.sh sanitize  install deps, build with ASan+UBSan (build-asan/), run the suite
#   packaging/dev.sh fuzz [TARGET] [SECONDS]  build the fuzz targets for AFL++ with ASan+UBSan
#                      (build-fuzz/), run each (or TARGET) SECONDS (600), keep what it finds
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

# Debian packages a command needs beyond install-deps.sh's list (which CI installs).
install_extra() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "dev.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null; }
}

# GCC's sanitizers for the sanitize and fuzz builds, at -O1 -g1 (half the compile time of
# -O2 -g; line tables are enough for the reports). Warnings stay warnings there: -Werror is
# the plain build's gate, and GCC reports extra false positives with instrumentation.
sanitize_flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
sanitize_cmake=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS=$sanitize_flags"
  "-DCMAKE_CXX_FLAGS=$sanitize_flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")

# AFL++'s GCC plugin compiler, usable with today's gcc-12: a folder with the plugin shim
# (tests/fuzz/afl/gcc_plugin_shim.cpp, see there why) in front of /usr/lib/afl, and two
# compiler wrappers that point afl-gcc-fast/afl-g++-fast at it.
prepare_afl() {
  mkdir -p "$1/afl/bin"
  local dir
  dir=$(cd "$1/afl" && pwd)
  local f
  for f in /usr/lib/afl/*; do
    [ "$(basename "$f")" = afl-gcc-pass.so ] || ln -sf "$f" "$dir/"
  done
  if [ ! -e "$dir/afl-gcc-pass.so" ] || [ tests/fuzz/afl/gcc_plugin_shim.cpp -nt "$dir/afl-gcc-pass.so" ]; then
    g++ -shared -fPIC -fno-rtti -O1 -I"$(gcc -print-file-name=plugin)/include" \
      tests/fuzz/afl/gcc_plugin_shim.cpp -o "$dir/afl-gcc-pass.so" -ldl
  fi
  # AFL_DONT_OPTIMIZE: keep the build's own -O1 rather than afl-cc's -O3 -funroll-loops.
  local env="AFL_PATH=$dir AFL_QUIET=1 AFL_DONT_OPTIMIZE=1"
  printf '#!/bin/sh\n%s exec afl-gcc-fast "$@"\n' "$env" >"$dir/bin/cc"
  printf '#!/bin/sh\n%s exec afl-g++-fast "$@"\n' "$env" >"$dir/bin/c++"
  chmod +x "$dir/bin/cc" "$dir/bin/c++"
}

# One line from afl-fuzz's fuzzer_stats.
stat_of() { sed -n "s/^$2 *: //p" "$1" | head -n 1; }

fuzz_one() {
  local name=$1 seconds=$2 build=$3
  local stamp out log dict=()
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  out=$build/findings/$name/$stamp
  log=$out.log
  mkdir -p "$build/findings/$name"
  [ -s "$build/corpus/$name.dict" ] && dict=(-x "$build/corpus/$name.dict")
  echo "== fuzz_$name: ${seconds}s under afl-fuzz, output in $out (log $log)"
  AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 \
    nice -n 19 afl-fuzz -i "$build/corpus/$name" -o "$out" "${dict[@]}" -m none \
    -t "${PMA_FUZZ_TIMEOUT_MS:-2000}" -V "$seconds" -- "$build/tests/fuzz/fuzz_$name" \
    >"$log" 2>&1 || { tail -n 20 "$log" >&2; return 1; }
  local stats=$out/default/fuzzer_stats line
  line=$(printf '%s: execs %s, %s/s, corpus %s, edges %s, crashes %s, hangs %s' "$name" \
    "$(stat_of "$stats" execs_done)" "$(stat_of "$stats" execs_per_sec)" \
    "$(stat_of "$stats" corpus_count)" "$(stat_of "$stats" edges_found)" \
    "$(stat_of "$stats" saved_crashes)" "$(stat_of "$stats" saved_hangs)")
  echo "$line"
  echo "$stamp $line" >>"$build/findings/summary.txt"
  if [ "$(stat_of "$stats" saved_crashes)" != 0 ] || [ "$(stat_of "$stats" saved_hangs)" != 0 ]; then
    ls -1 "$out"/default/crashes/id* "$out"/default/hangs/id* 2>/dev/null || true
    echo "   replay one: $build/tests/fuzz/fuzz_$name <file>; shrink it: afl-tmin -i <file>" \
      "-o <small> -- $build/tests/fuzz/fuzz_$name"
    return 2
  fi
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
  sanitize)
    bash packaging/install-deps.sh
    launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
      -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    cmake -S . -B build-asan "${sanitize_cmake[@]}" "${launcher[@]}" >/dev/null
    cmake --build build-asan -j "$jobs"
    cd build-asan
    # A report fails its test (-fno-sanitize-recover); print_stacktrace: UBSan says where.
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    exec ctest --output-on-failure -j "$jobs" "$@"
    ;;
  fuzz)
    target=${1:-}
    seconds=${2:-600}
    bash packaging/install-deps.sh
    install_extra afl++ gcc-12-plugin-dev
    prepare_afl build-fuzz
    cmake -S . -B build-fuzz "${sanitize_cmake[@]}" -DPMA_FUZZ_AFL=ON \
      -DCMAKE_C_COMPILER="$here/build-fuzz/afl/bin/cc" \
      -DCMAKE_CXX_COMPILER="$here/build-fuzz/afl/bin/c++" >/dev/null
    # Every target tests/fuzz/CMakeLists.txt lists in PMA_FUZZ_TARGETS.
    mapfile -t targets < <(sed -n '/^set(PMA_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
      sed 's/set(PMA_FUZZ_TARGETS//; s/)//' | tr ' ' '\n' | sed '/^$/d')
    [ -n "$target" ] && targets=("$target")
    # The seeds come from a fuzz_tests binary ("[.corpus]"); PMA_FUZZ_SEEDER names one another
    # build of these sources already has (e.g. build-asan/tests/fuzz/fuzz_tests), which spares
    # building fuzz_tests and every library it links with AFL++ instrumentation.
    seeder=${PMA_FUZZ_SEEDER:-build-fuzz/tests/fuzz/fuzz_tests}
    build_targets=()
    [ -n "${PMA_FUZZ_SEEDER:-}" ] || build_targets+=(fuzz_tests)
    for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
    nice -n 10 cmake --build build-fuzz -j "$jobs" --target "${build_targets[@]}"
    [ -x "$seeder" ] || { echo "dev.sh: no seeder $seeder" >&2; exit 1; }
    rm -rf build-fuzz/corpus
    ASAN_OPTIONS=detect_leaks=0 PMA_FUZZ_CORPUS_OUT="$here/build-fuzz/corpus" \
      PMA_FUZZ_TARGET="$target" "$seeder" "[.corpus]" >/dev/null
    status=0
    for t in "${targets[@]}"; do
      fuzz_one "$t" "$seconds" build-fuzz || status=1
    done
    echo "summary of every run: build-fuzz/findings/summary.txt"
    exit "$status"
    ;;
  *)
    echo "usage: packaging/dev.sh run|test|bench|package|sanitize|fuzz [args...]" >&2
    echo "  run    build and start memberd with demo members under ./.state" >&2
    echo "  test   build and run the whole test suite (CTest)" >&2
    echo "  bench  build in Release and run the benchmarks in tests/bench/" >&2
    echo "  package  build and write the Debian packages to build/packages/" >&2
    echo "  sanitize  build with ASan+UBSan in build-asan/ and run the test suite" >&2
    echo "  fuzz [TARGET] [SECONDS]  run each fuzz target (or TARGET) under AFL++ for SECONDS" >&2
    echo "           (default 600) with ASan+UBSan; findings in build-fuzz/findings/TARGET/" >&2
    exit 2
    ;;
esac
