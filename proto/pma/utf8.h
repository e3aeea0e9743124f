// Whether text can go into a proto3 string field: strict UTF-8 (no overlong forms, UTF-16
// surrogates or code points past U+10FFFF). Pure, thread-safe. Header-only over utf8cpp
// (Debian's libutfcpp-dev); a target that includes it links pma_utf8.
#pragma once

#include <utf8/core.h>

#include <string_view>

namespace pma {

// utf8cpp's validator applies the same rules protobuf's parser does to string fields, so
// "valid" here means a till (or HQ) can parse a message carrying the text.
inline bool is_valid_utf8(std::string_view text) {
  return utf8::is_valid(text.begin(), text.end());
}

}  // namespace pma
