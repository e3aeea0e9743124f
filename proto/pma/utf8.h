// Whether text can go into a proto3 string field: strict UTF-8 (no overlong forms, UTF-16
// surrogates or code points past U+10FFFF). Pure, thread-safe.
#pragma once

#include <google/protobuf/stubs/common.h>

#include <string_view>

namespace pma {

// Protobuf's own check, the one its parser applies to string fields: "valid" here means a
// till (or HQ) can parse a message carrying the text.
inline bool is_valid_utf8(std::string_view text) {
  return google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                             static_cast<int>(text.size()));
}

}  // namespace pma
