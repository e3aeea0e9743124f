#include "agent/api/json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "pma/error_codes.h"
#include "pma/v1/api.pb.h"

namespace pma::api {

namespace {

namespace pb = google::protobuf;

// What a JSON value for `field` must look like, in the words of the README's API section.
std::string expected_value(const pb::FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return "a whole number from -9223372036854775808 to 9223372036854775807 (a JSON number "
             "or a string of digits)";
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return "a whole number from 0 to 18446744073709551615 (a JSON number or a string of "
             "digits)";
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return "a whole number from -2147483648 to 2147483647";
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return "a whole number from 0 to 4294967295";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return field.type() == pb::FieldDescriptor::TYPE_BYTES ? "a base64 string" : "a string";
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      std::string names;
      const pb::EnumDescriptor& e = *field.enum_type();
      for (int i = 0; i < e.value_count(); ++i) {
        names += (i == 0 ? "" : i + 1 == e.value_count() ? " or " : ", ");
        names += '"' + e.value(i)->name() + '"';
      }
      return "one of " + names;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return "an object";
  }
  return "another value";
}

// A field path as protobuf reports it ("lines[0].points_to_burn", proto names) in the names a
// POS sends ("lines[0].pointsToBurn"), and the field it ends at (nullptr if it names none).
struct FieldPath {
  std::string json;
  const pb::FieldDescriptor* field = nullptr;
};

FieldPath resolve_path(const pb::Descriptor& root, std::string_view path) {
  FieldPath out;
  const pb::Descriptor* message = &root;
  while (!path.empty()) {
    std::size_t dot = path.find('.');
    std::string_view segment = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    std::size_t bracket = segment.find('[');
    std::string name(segment.substr(0, bracket));
    const pb::FieldDescriptor* field = message ? message->FindFieldByName(name) : nullptr;
    if (!out.json.empty()) out.json += '.';
    out.json += field ? field->json_name() : name;
    if (bracket != std::string_view::npos) out.json += segment.substr(bracket);
    out.field = field;
    message = field ? field->message_type() : nullptr;
  }
  return out;
}

std::string quoted_sample(std::string_view value) {
  constexpr std::size_t kMax = 40;
  if (value.size() <= kMax) return std::string(value);
  return std::string(value.substr(0, kMax)) + "...";
}

// Protobuf's parser speaks of its own types ("for type TYPE_INT64",
// "type.googleapis.com/pma.v1.Tier") and proto field names; the POS is told the field by its
// JSON name and what the field takes.
Error body_error(const pb::Descriptor& root, std::string_view what) {
  // "(lines[0].qty): invalid value "abc" for type TYPE_INT64"
  if (what.starts_with('(')) {
    std::size_t close = what.find("): invalid value ");
    std::size_t type = what.rfind(" for type ");
    if (close != std::string_view::npos && type != std::string_view::npos && type > close) {
      FieldPath path = resolve_path(root, what.substr(1, close - 1));
      std::string_view value = what.substr(close + 17, type - close - 17);
      std::string expected = path.field ? expected_value(*path.field) : "another value";
      if (path.field && path.field->is_repeated() && !path.json.ends_with(']')) {
        expected = "an array, each element " + expected;
      }
      return Error{err::bad_json, "field " + path.json + ": expected " + expected + ", got " +
                                      quoted_sample(value)};
    }
  }
  // "(lines[0]) nope: Cannot find field." or "nope: Cannot find field."
  if (std::size_t cannot = what.find(": Cannot find field"); cannot != std::string_view::npos) {
    std::string_view head = what.substr(0, cannot);
    std::string where;
    if (head.starts_with('(')) {
      std::size_t close = head.find(") ");
      if (close != std::string_view::npos) {
        where = " in " + resolve_path(root, head.substr(1, close - 1)).json;
        head = head.substr(close + 2);
      }
    }
    return Error{err::unknown_field, "unknown field \"" + quoted_sample(head) + "\"" + where +
                                         "; this endpoint's fields are in proto/pma/v1/"};
  }
  // "phone: Proto field is not repeating, cannot start list."
  if (std::size_t list = what.find(": Proto field is not repeating");
      list != std::string_view::npos) {
    FieldPath path = resolve_path(root, what.substr(0, list));
    std::string expected = path.field ? expected_value(*path.field) : "a single value";
    return Error{err::bad_json, "field " + path.json + ": expected " + expected + ", got an array"};
  }
  // A syntax error: protobuf's first line says what ("Unexpected end of string. Expected an
  // object key or }."); the lines after it echo the body.
  std::string_view first_line = what.substr(0, what.find('\n'));
  std::string message(first_line);
  for (std::string_view internal : {"type.googleapis.com/", "TYPE_"}) {
    if (message.find(internal) != std::string::npos) {
      message = "the body does not match this endpoint's request message";
      break;
    }
  }
  return Error{err::bad_json, "request body is not valid JSON for this endpoint: " + message};
}

}  // namespace

Status parse_json(std::string_view body, google::protobuf::Message& message) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return fail(err::bad_json, "request body is empty; expected a JSON object");
  }
  if (body[first] != '{') return fail(err::bad_json, "request body must be a JSON object");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message, options);
  if (status.ok()) return {};
  std::string what(status.message());
  return std::unexpected(body_error(*message.GetDescriptor(), what));
}

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

ApiResponse json_response(int status, const google::protobuf::Message& message) {
  return ApiResponse{status, to_json(message)};
}

// From the catalogue. A code it does not list as an API answer is answered 500: the API
// answering what it never declared is our bug, and 500 tells the POS "outcome unknown; retry
// with the same id" rather than a definite refusal (tests/api/error_codes_test keeps the
// sources' codes in the catalogue).
int status_for(std::string_view code) {
  const ApiErrorCode* entry = find_api_error(code);
  return entry != nullptr ? entry->http_status : 500;
}

ApiResponse error_response(std::string_view code, std::string_view message) {
  pma::v1::ApiError error;
  error.set_code(std::string(code));
  error.set_message(std::string(message));
  return json_response(status_for(code), error);
}

ApiResponse error_response(const Error& error) { return error_response(error.code, error.message); }

}  // namespace pma::api
