#include "pma/utf8.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("Text a proto3 string field takes is valid UTF-8", "[proto][utf8]") {
  CHECK(pma::is_valid_utf8(""));
  CHECK(pma::is_valid_utf8("M00000001"));
  CHECK(pma::is_valid_utf8("\xe7\x8e\x8b\xe8\x8a\xb3"));  // 王芳
  CHECK(pma::is_valid_utf8("\xf0\x9f\x98\x80"));          // U+1F600
  CHECK(pma::is_valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the last
  CHECK(pma::is_valid_utf8(std::string("a\0b", 3)));      // NUL is a code point
}

TEST_CASE("Overlong forms, surrogates, out-of-range and cut sequences are not UTF-8",
          "[proto][utf8]") {
  CHECK_FALSE(pma::is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(pma::is_valid_utf8("\xe0\x80\xaf"));      // overlong '/', three bytes
  CHECK_FALSE(pma::is_valid_utf8("\xed\xa0\x80"));      // U+D800, a UTF-16 surrogate
  CHECK_FALSE(pma::is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(pma::is_valid_utf8("\xe7\x8e"));          // cut short
  CHECK_FALSE(pma::is_valid_utf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(pma::is_valid_utf8("\xff"));
  CHECK_FALSE(pma::is_valid_utf8("ok\xe7\x8e"));
}
