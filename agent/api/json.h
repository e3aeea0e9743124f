// Local API bodies: Protobuf messages through Protobuf's JSON mapping, and JSON errors with a
// stable code. Stateless; thread-safe.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "agent/api/router.h"
#include "pma/error.h"

namespace pma::api {

// Parses a request body into `message`. Errors: "bad_json" (not JSON, or the wrong types) and
// "unknown_field" (a field the message does not have), each naming the field by its JSON name
// (lines[0].qty) and what it takes, never protobuf's type names.
Status parse_json(std::string_view body, google::protobuf::Message& message);

// Serialises with lowerCamelCase names and zero values printed, so a POS sees every field.
std::string to_json(const google::protobuf::Message& message);

ApiResponse json_response(int status, const google::protobuf::Message& message);

// The HTTP status of an error code, from the catalogue (proto/pma/error_codes.h); 500 for a
// code the catalogue does not list as an API answer.
int status_for(std::string_view code);

// An ApiError body with the catalogue's status for `code`.
ApiResponse error_response(std::string_view code, std::string_view message);
ApiResponse error_response(const Error& error);

}  // namespace pma::api
