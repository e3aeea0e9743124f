// The [api] keys of issue 11 (items 10 and 15): max_connections and allowed_origins.
#include <catch2/catch.hpp>
#include <string>

#include "agent/config/config.h"

using pma::config::parse_config;

TEST_CASE("[api] max_connections and allowed_origins default to 256 and none", "[config][api]") {
  auto config = parse_config("", "empty.toml");
  REQUIRE(config);
  CHECK(config->api.max_connections == 256);
  CHECK(config->api.allowed_origins.empty());
  auto example = pma::config::load_config(PMA_SOURCE_DIR "/packaging/memberd.example.toml");
  REQUIRE(example);
  CHECK(example->api.max_connections == 256);
  CHECK(example->api.allowed_origins.empty());
}

TEST_CASE("[api] max_connections and allowed_origins are read", "[config][api]") {
  auto config = parse_config(
      "[api]\nmax_connections = 64\n"
      "allowed_origins = [\"https://pos.example:8443\", \"http://localhost:3000\"]\n",
      "memberd.toml");
  REQUIRE(config);
  CHECK(config->api.max_connections == 64);
  REQUIRE(config->api.allowed_origins.size() == 2);
  CHECK(config->api.allowed_origins[0] == "https://pos.example:8443");
}

TEST_CASE("Bad [api] connection and origin values stop start-up naming the key", "[config][api]") {
  struct Case {
    const char* toml;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {"[api]\nmax_connections = 0\n", "memberd.toml:2: api.max_connections: 0 is out of range"},
      {"[api]\nallowed_origins = \"https://pos.example\"\n",
       "memberd.toml:2: api.allowed_origins: expected an array of strings"},
      {"[api]\nallowed_origins = [1]\n",
       "memberd.toml:2: api.allowed_origins: expected an array of strings"},
      {"[api]\nallowed_origins = [\"*\"]\n",
       "memberd.toml:2: api.allowed_origins: '*': wildcards are not allowed"},
      {"[api]\nallowed_origins = [\"https://*.example\"]\n", "wildcards are not allowed"},
      {"[api]\nallowed_origins = [\"null\"]\n", "'null' is not an origin"},
      {"[api]\nallowed_origins = [\"https://pos.example/\"]\n", "no path, query or trailing slash"},
      {"[api]\nallowed_origins = [\"pos.example\"]\n", "'pos.example' is not an origin"},
  }));
  INFO(c.toml);
  auto config = parse_config(c.toml, "memberd.toml");
  REQUIRE_FALSE(config);
  CHECK(config.error().code == "config_bad_value");
  CHECK_THAT(config.error().message, Catch::Contains(c.message));
}
