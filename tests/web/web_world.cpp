#include "tests/web/web_world.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace pma::test {

WebWorld::WebWorld(const std::string& allowed_origins) {
  std::uint16_t printer_port = printer.listen_tcp(0);
  scanner_port = free_port();
  MemberdOptions options;
  options.api_toml = "allowed_origins = " + allowed_origins + "\n";
  options.extra_toml =
      "[store]\nname = \"鲜果茶 南京西路店\"\n"
      "[[scanner]]\nname = \"network\"\nkind = \"tcp\"\nport = " +
      std::to_string(scanner_port) +
      "\n[[printer]]\nname = \"receipt\"\ntransport = \"tcp\"\n"
      "host = \"127.0.0.1\"\nport = " +
      std::to_string(printer_port) +
      "\npaper = \"80mm\"\nretry_ms = 100\n[printing]\nprint_on_commit = false\n";
  options.log_level = "info";
  memberd = std::make_unique<MemberdProcess>(options);
}

void WebWorld::scan(const std::string& code) {
  boost::asio::io_context scan_io;
  boost::asio::ip::tcp::socket socket(scan_io);
  socket.connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(scanner_port)});
  boost::asio::write(socket, boost::asio::buffer(code + "\r"));
  boost::system::error_code ignored;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
}

std::string WebWorld::memberctl(const std::string& args, int* status) {
  std::string command = std::string(PMA_MEMBERCTL) + " -c '" + config_path() + "' " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) out.append(chunk, n);
  int rc = ::pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

std::string output_file(const std::string& name) {
  const char* build = std::getenv("PMA_BUILD_DIR");
  std::filesystem::path dir =
      std::filesystem::path(build != nullptr ? build : PMA_BINARY_DIR) / "test-output" / "web";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

}  // namespace pma::test
