// A GCC plugin that loads AFL++'s GCC instrumentation pass (/usr/lib/afl/afl-gcc-pass.so) for
// packaging/dev.sh fuzz. Debian 12's afl++ 4.04c was built against gcc-12 12.2.0-14; since the
// 12.2.0-14+deb12u1 update GCC's configure line differs (its --with-pkgversion and build path),
// so the pass's plugin_default_version_check refuses to load ("GCC and plugin have incompatible
// versions, expected GCC 12.2.0, is 12.2.0"). Same GCC release, same plugin API: this shim hands
// the pass GCC's own version with only the configuration string replaced by the one the pass
// was built with (read from the pass's file); base version, date stamp, dev phase and revision
// are still checked by the pass itself. Built by dev.sh with the system g++, not by CMake.
// Runs inside cc1/cc1plus, single-threaded.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "gcc-plugin.h"

int plugin_is_GPL_compatible;

namespace {

// The NUL-terminated "../src/configure ..." line embedded in the pass, or "" if none.
std::string built_configuration(const char* path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = bytes.find("../src/configure ");
  return at == std::string::npos ? std::string() : std::string(bytes.c_str() + at);
}

}  // namespace

int plugin_init(plugin_name_args* info, plugin_gcc_version* version) {
  const char* real = std::getenv("PMA_AFL_GCC_PASS");
  if (real == nullptr || *real == '\0') real = "/usr/lib/afl/afl-gcc-pass.so";
  static const std::string configuration = built_configuration(real);
  void* pass = dlopen(real, RTLD_NOW | RTLD_GLOBAL);
  if (pass == nullptr) {
    std::fprintf(stderr, "afl gcc plugin shim: %s\n", dlerror());
    return 1;
  }
  using Init = int (*)(plugin_name_args*, plugin_gcc_version*);
  auto init = reinterpret_cast<Init>(dlsym(pass, "plugin_init"));
  if (init == nullptr) {
    std::fprintf(stderr, "afl gcc plugin shim: %s has no plugin_init\n", real);
    return 1;
  }
  static plugin_gcc_version patched = *version;
  if (!configuration.empty()) patched.configuration_arguments = configuration.c_str();
  return init(info, &patched);
}
