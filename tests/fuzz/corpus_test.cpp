// The committed corpora: tests/fuzz/corpus/<target>/ holds inputs a coverage-guided run found
// (crashes, minimised, kept as regression inputs), replayed here on every test run. Inputs that
// still fail on today's code wait in tests/fuzz/findings/<target>/, which is not replayed.
// "[.corpus]" writes each target's seeds, its committed inputs and an AFL++ dictionary to
// $PMA_FUZZ_CORPUS_OUT/<target>/ and <target>.dict (packaging/dev.sh fuzz seeds afl-fuzz so).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

namespace fs = std::filesystem;
using namespace pma::fuzz;

std::vector<fs::path> committed_inputs(std::string_view target) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(PMA_FUZZ_CORPUS_DIR) / target;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

// AFL++'s dictionary format: name="bytes", with \xNN for anything not printable.
std::string dictionary_entry(std::size_t index, const std::string& token) {
  std::string out = "token" + std::to_string(index) + "=\"";
  for (unsigned char c : token) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out + "\"\n";
}

}  // namespace

TEST_CASE("Fuzz: every committed regression input keeps its target's properties", "[fuzz]") {
  for (const auto& t : all_targets()) {
    for (const auto& path : committed_inputs(t.name)) {
      const std::string input = read_file(path);
      const std::string broken = run_input(t, input);
      INFO("target " << t.name << ", " << path.string() << ": " << broken
                     << "\ninput (hex): " << hex(input));
      CHECK(broken.empty());
    }
  }
}

TEST_CASE("Fuzz: write the seed corpora for a coverage-guided fuzzer", "[.corpus]") {
  const char* out = std::getenv("PMA_FUZZ_CORPUS_OUT");
  REQUIRE(out != nullptr);
  const char* only = std::getenv("PMA_FUZZ_TARGET");
  for (const auto& t : all_targets()) {
    if (only != nullptr && *only != '\0' && t.name != only) continue;
    const fs::path dir = fs::path(out) / t.name;
    fs::create_directories(dir);
    const auto seeds = t.seeds();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      write_file(dir / ("seed-" + std::to_string(i)), seeds[i]);
    }
    for (const auto& path : committed_inputs(t.name)) {
      fs::copy_file(path, dir / ("committed-" + path.filename().string()),
                    fs::copy_options::overwrite_existing);
    }
    std::string dictionary;
    for (std::size_t i = 0; i < t.dictionary.size(); ++i) {
      dictionary += dictionary_entry(i, t.dictionary[i]);
    }
    write_file(fs::path(out) / (std::string(t.name) + ".dict"), dictionary);
  }
}
