// Replays each fuzz target's seed corpus, then a fixed budget of deterministic mutations.
// A failure prints the target, the mutation seed and the input in hex; reproduce it with
//   PMA_FUZZ_TARGET=<name> PMA_FUZZ_HEX="<hex>" fuzz_tests "[.repro]"
// PMA_FUZZ_ITERATIONS=<n> and PMA_FUZZ_SEED=<n> run longer or other mutations locally.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/mutator.h"

namespace {

using namespace pma::fuzz;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 0) : fallback;
}

// FNV-1a: each target gets its own fixed stream of mutation seeds.
std::uint64_t name_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

void fuzz(const Target& t) {
  const auto seeds = t.seeds();
  REQUIRE(!seeds.empty());
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::string broken = run_input(t, seeds[i]);
    INFO("target " << t.name << ", seed input " << i << ": " << broken
                   << "\ninput (hex): " << hex(seeds[i]));
    REQUIRE(broken.empty());
  }
  const std::uint64_t iterations = env_number("PMA_FUZZ_ITERATIONS", t.iterations);
  std::mt19937_64 seed_stream(name_hash(t.name) ^ env_number("PMA_FUZZ_SEED", 0));
  for (std::uint64_t i = 0; i < iterations; ++i) {
    const std::uint64_t seed = seed_stream();
    Mutator mutator(seed, t.dictionary);
    const std::string input = mutator.mutate(seeds);
    const std::string broken = run_input(t, input);
    if (!broken.empty()) {
      FAIL("target " << t.name << ", mutation " << i << " (seed " << seed << "): " << broken
                     << "\ninput (hex): " << hex(input));
    }
  }
}

}  // namespace

TEST_CASE("Fuzz: the scanner framer keeps its properties under mutated byte streams", "[fuzz]") {
  fuzz(target("framer"));
}
TEST_CASE("Fuzz: the evdev decoder keeps its properties under mutated input_event records",
          "[fuzz]") {
  fuzz(target("evdev"));
}
TEST_CASE("Fuzz: code classification, Base45 and member QR verification keep their properties",
          "[fuzz]") {
  fuzz(target("codes"));
}
TEST_CASE("Fuzz: ESC/POS status parsing keeps its properties under mutated replies", "[fuzz]") {
  fuzz(target("printer_status"));
}
TEST_CASE("Fuzz: sync frame decoding keeps its properties under mutated streams", "[fuzz]") {
  fuzz(target("wire_frames"));
}
TEST_CASE("Fuzz: zstd payload decompression keeps its properties under mutated payloads",
          "[fuzz]") {
  fuzz(target("zstd"));
}
TEST_CASE("Fuzz: checkout column decoding keeps its properties under mutated batches", "[fuzz]") {
  fuzz(target("delta_columns"));
}
TEST_CASE("Fuzz: config parsing keeps its properties under mutated TOML", "[fuzz]") {
  fuzz(target("config"));
}
TEST_CASE("Fuzz: API JSON request parsing keeps its properties under mutated bodies", "[fuzz]") {
  fuzz(target("api_json"));
}
TEST_CASE("Fuzz: HQ member import keeps its properties under mutated CSV and JSON lines",
          "[fuzz]") {
  fuzz(target("member_import"));
}
TEST_CASE("Fuzz: the checkout planner keeps payable, points and refusals within the rules",
          "[fuzz]") {
  fuzz(target("quote_planner"));
}
TEST_CASE("Fuzz: the refund planner never refunds more than the purchase", "[fuzz]") {
  fuzz(target("refund_planner"));
}
TEST_CASE("Fuzz: HQ's batch apply keeps balances bounded and is idempotent under mutated batches",
          "[fuzz]") {
  fuzz(target("hq_batch"));
}

TEST_CASE("Fuzz: replay one input given in hex", "[.repro]") {
  const char* name = std::getenv("PMA_FUZZ_TARGET");
  const char* text = std::getenv("PMA_FUZZ_HEX");
  REQUIRE(name != nullptr);
  REQUIRE(text != nullptr);
  std::string input;
  for (const char* p = text; *p != '\0';) {
    if (*p == ' ') {
      ++p;
      continue;
    }
    input.push_back(static_cast<char>(std::strtoul(std::string(p, 2).c_str(), nullptr, 16)));
    p += p[1] != '\0' ? 2 : 1;
  }
  const std::string broken = run_input(target(name), input);
  INFO(broken);
  CHECK(broken.empty());
}
