#include "tests/support/answer_recorder.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

namespace pma::test {

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::mutex& file_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

void record_answers(api::HttpClient& client) {
  std::string dir;
  if (const char* answers = std::getenv("PMA_API_ANSWERS_DIR"); answers && *answers) {
    dir = answers;
  } else if (const char* build = std::getenv("PMA_BUILD_DIR"); build && *build) {
    dir = std::string(build) + "/api-answers";
  } else {
    return;
  }
  std::string path = dir + "/" + std::to_string(::getpid()) + ".jsonl";
  client.set_observer([path, folder = dir](std::string_view method, std::string_view target,
                                           const api::HttpReply& reply) {
    std::lock_guard lock(file_mutex());
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    std::ofstream(path, std::ios::app)
        << "{\"method\": " << json_string(method) << ", \"target\": " << json_string(target)
        << ", \"status\": " << reply.status << ", \"body\": " << json_string(reply.body) << "}\n";
  });
}

}  // namespace pma::test
