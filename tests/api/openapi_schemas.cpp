// openapi_schemas: prints the JSON Schemas (OpenAPI 3.1 components.schemas) of the pma.v1
// messages the local API reads and answers, derived from the compiled-in Protobuf descriptors by
// Protobuf's JSON mapping as memberd prints it (lowerCamelCase names, 64-bit integers as
// strings, enums by name, bytes as base64). tests/api/openapi_check.py compares them with
// agent/api/openapi.json, so a changed .proto cannot leave the document behind
// (`openapi_check.py --update` rewrites its schemas). Single-threaded tool.
#include <google/protobuf/descriptor.h>

#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pma/v1/api.pb.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/pos_token.pb.h"
#include "pma/v1/receipt.pb.h"

namespace pb = google::protobuf;

namespace {

// A JSON value small enough to print by hand: objects keep keys sorted (std::map).
struct Json {
  enum class Kind { string, number, boolean, object, array } kind = Kind::object;
  std::string text;  // string, number (as written), boolean ("true"/"false")
  std::map<std::string, Json> object;
  std::vector<Json> array;

  static Json str(std::string s) { return Json{Kind::string, std::move(s), {}, {}}; }
  static Json num(long long n) { return Json{Kind::number, std::to_string(n), {}, {}}; }
  static Json num_text(std::string n) { return Json{Kind::number, std::move(n), {}, {}}; }
  static Json boolean(bool b) { return Json{Kind::boolean, b ? "true" : "false", {}, {}}; }
  static Json arr(std::vector<Json> items) { return Json{Kind::array, {}, {}, std::move(items)}; }
};

void print_string(std::ostream& out, const std::string& s) {
  out << '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out << "\\u00" << hex[(c >> 4) & 0xf] << hex[c & 0xf];
    } else {
      out << c;
    }
  }
  out << '"';
}

void print(std::ostream& out, const Json& j, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
  switch (j.kind) {
    case Json::Kind::string:
      print_string(out, j.text);
      return;
    case Json::Kind::number:
    case Json::Kind::boolean:
      out << j.text;
      return;
    case Json::Kind::array: {
      out << '[';
      for (std::size_t i = 0; i < j.array.size(); ++i) {
        out << (i ? ", " : "");
        print(out, j.array[i], indent);
      }
      out << ']';
      return;
    }
    case Json::Kind::object: {
      if (j.object.empty()) {
        out << "{}";
        return;
      }
      out << "{\n";
      std::size_t i = 0;
      for (const auto& [key, value] : j.object) {
        out << pad;
        print_string(out, key);
        out << ": ";
        print(out, value, indent + 2);
        out << (++i < j.object.size() ? ",\n" : "\n");
      }
      out << std::string(static_cast<std::size_t>(indent), ' ') << '}';
      return;
    }
  }
}

Json ref(const std::string& name) {
  Json j;
  j.object["$ref"] = Json::str("#/components/schemas/" + name);
  return j;
}

class SchemaSet {
 public:
  void add(const pb::Descriptor* message) {
    const std::string& name = message->name();
    if (schemas_.count(name)) return;
    schemas_[name] = Json{};  // placeholder: recursion stops here
    schemas_[name] = message_schema(message);
  }
  const std::map<std::string, Json>& schemas() const { return schemas_; }

 private:
  void add_enum(const pb::EnumDescriptor* e) {
    if (schemas_.count(e->name())) return;
    Json j;
    j.object["type"] = Json::str("string");
    std::vector<Json> values;
    for (int i = 0; i < e->value_count(); ++i) values.push_back(Json::str(e->value(i)->name()));
    j.object["enum"] = Json::arr(std::move(values));
    j.object["description"] = Json::str(e->full_name() + " (" + e->file()->name() + ")");
    schemas_[e->name()] = std::move(j);
  }

  Json scalar(const pb::FieldDescriptor* f) {
    Json j;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT64:
        j.object["type"] = Json::str("string");
        j.object["pattern"] = Json::str("^-?[0-9]{1,19}$");
        j.object["format"] = Json::str("int64");
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        j.object["type"] = Json::str("string");
        j.object["pattern"] = Json::str("^[0-9]{1,20}$");
        j.object["format"] = Json::str("uint64");
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        j.object["type"] = Json::str("integer");
        j.object["minimum"] = Json::num(-2147483648LL);
        j.object["maximum"] = Json::num(2147483647LL);
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        j.object["type"] = Json::str("integer");
        j.object["minimum"] = Json::num(0);
        j.object["maximum"] = Json::num(4294967295LL);
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        j.object["type"] = Json::str("number");
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        j.object["type"] = Json::str("boolean");
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        j.object["type"] = Json::str("string");
        if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
          j.object["contentEncoding"] = Json::str("base64");
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        add_enum(f->enum_type());
        return ref(f->enum_type()->name());
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        add(f->message_type());
        return ref(f->message_type()->name());
    }
    return j;
  }

  Json field_schema(const pb::FieldDescriptor* f) {
    if (f->is_map()) {
      Json j;
      j.object["type"] = Json::str("object");
      j.object["additionalProperties"] = scalar(f->message_type()->map_value());
      return j;
    }
    if (f->is_repeated()) {
      Json j;
      j.object["type"] = Json::str("array");
      j.object["items"] = scalar(f);
      return j;
    }
    return scalar(f);
  }

  Json message_schema(const pb::Descriptor* m) {
    Json j;
    j.object["type"] = Json::str("object");
    j.object["additionalProperties"] = Json::boolean(false);
    std::string description = m->full_name() + " (" + m->file()->name() + ")";
    for (int i = 0; i < m->real_oneof_decl_count(); ++i) {
      const pb::OneofDescriptor* o = m->oneof_decl(i);
      description += "; at most one of";
      for (int k = 0; k < o->field_count(); ++k) {
        description += (k ? ", " : " ") + o->field(k)->json_name();
      }
    }
    j.object["description"] = Json::str(description);
    Json properties;
    for (int i = 0; i < m->field_count(); ++i) {
      const pb::FieldDescriptor* f = m->field(i);
      properties.object[f->json_name()] = field_schema(f);
    }
    j.object["properties"] = std::move(properties);
    return j;
  }

  std::map<std::string, Json> schemas_;
};

}  // namespace

int main() {
  SchemaSet set;
  for (const pb::Descriptor* root : {
           pma::v1::ApiError::descriptor(),
           pma::v1::HealthResponse::descriptor(),
           pma::v1::LookupRequest::descriptor(),
           pma::v1::LookupResponse::descriptor(),
           pma::v1::Member::descriptor(),
           pma::v1::SyncState::descriptor(),
           pma::v1::Event::descriptor(),
           pma::v1::QuoteRequest::descriptor(),
           pma::v1::QuoteResponse::descriptor(),
           pma::v1::CommitRequest::descriptor(),
           pma::v1::CommitResponse::descriptor(),
           pma::v1::RefundRequest::descriptor(),
           pma::v1::RefundResponse::descriptor(),
           pma::v1::RegisterMemberRequest::descriptor(),
           pma::v1::RegisterMemberResponse::descriptor(),
           pma::v1::PrintReceiptRequest::descriptor(),
           pma::v1::PrintReceiptResponse::descriptor(),
           pma::v1::RenderReceiptRequest::descriptor(),
           pma::v1::RenderReceiptResponse::descriptor(),
           pma::v1::CreatePosTokenRequest::descriptor(),
           pma::v1::PosToken::descriptor(),
           pma::v1::PosTokenList::descriptor(),
           pma::v1::RevokePosTokensResponse::descriptor(),
       }) {
    set.add(root);
  }
  Json all;
  all.object = set.schemas();
  print(std::cout, all, 0);
  std::cout << '\n';
  return 0;
}
