#include "tests/fuzz/seeds.h"

#include <linux/input.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "drivers/codes/member_qr.h"
#include "pma/v1/sync.pb.h"
#include "sync/wire/delta_columns.h"
#include "sync/wire/messages.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_inputs.h"
#include "tests/fuzz/fuzz_keys.h"

namespace pma::fuzz {

std::string framer_input(std::uint8_t config, const std::vector<FramerChunk>& chunks) {
  std::string out(1, static_cast<char>(config));
  for (const auto& chunk : chunks) {
    out.push_back(static_cast<char>(chunk.gap));
    out.push_back(static_cast<char>(chunk.bytes.size()));
    out += chunk.bytes.substr(0, 255);
  }
  return out;
}

std::string wire_input(std::uint8_t cap, std::uint8_t chunk, std::string_view stream) {
  std::string out{static_cast<char>(cap), static_cast<char>(chunk)};
  out += stream;
  return out;
}

std::string with_prefix(std::uint8_t prefix, std::string_view rest) {
  return std::string(1, static_cast<char>(prefix)) + std::string(rest);
}

std::vector<std::string> framer_seeds() {
  return {
      framer_input(0, {{0, "12345678\r"}, {10, "12345678\r"}, {200, "CPN-AB12\r"}}),
      framer_input(0x08, {{0, "]Q1PMA1:"}, {1, "ABC\r\n"}, {0, "]C1 0123\r"}}),
      framer_input(2, {{0, "13812345678\r"}, {0, "\n9876\r\n"}, {150, ""}}),
      framer_input(4, {{0, "ABC"}, {2, "DEF"}, {20, ""}, {0, "GHI"}}),
      framer_input(0x31, {{0, "0123456789012345678901\n"},
                          {0,
                           "\x01\x1d"
                           "ab\n"}}),
      framer_input(3, {{0, "\xe4\xbd\xa0\xe5\xa5\xbd\t"}, {130, "x"}, {0, ""}}),
  };
}

namespace {

std::string events_bytes(const std::vector<input_event>& events) {
  std::string out(events.size() * sizeof(input_event), '\0');
  if (!events.empty()) std::memcpy(out.data(), events.data(), out.size());
  return out;
}

input_event ev(std::uint16_t type, std::uint16_t code, std::int32_t value) {
  input_event e{};
  e.type = type;
  e.code = code;
  e.value = value;
  return e;
}

void press(std::vector<input_event>& out, std::uint16_t key, bool shift = false) {
  if (shift) out.push_back(ev(EV_KEY, KEY_LEFTSHIFT, 1));
  out.push_back(ev(EV_MSC, MSC_SCAN, key));
  out.push_back(ev(EV_KEY, key, 1));
  out.push_back(ev(EV_SYN, SYN_REPORT, 0));
  out.push_back(ev(EV_KEY, key, 0));
  if (shift) out.push_back(ev(EV_KEY, KEY_LEFTSHIFT, 0));
  out.push_back(ev(EV_SYN, SYN_REPORT, 0));
}

}  // namespace

std::vector<std::string> evdev_seeds() {
  std::vector<input_event> typed;
  for (auto key : {KEY_1, KEY_3, KEY_8}) press(typed, key);
  press(typed, KEY_P, true);
  press(typed, KEY_SEMICOLON, true);
  press(typed, KEY_ENTER);
  std::vector<input_event> dropped = typed;
  dropped.insert(dropped.begin() + 6, ev(EV_SYN, SYN_DROPPED, 0));
  std::vector<input_event> control;
  control.push_back(ev(EV_KEY, KEY_CAPSLOCK, 1));
  press(control, KEY_A);
  control.push_back(ev(EV_KEY, KEY_LEFTCTRL, 1));
  press(control, KEY_RIGHTBRACE);
  control.push_back(ev(EV_KEY, KEY_LEFTCTRL, 0));
  press(control, KEY_KP5);
  press(control, KEY_KPENTER);
  control.push_back(ev(EV_KEY, KEY_B, 2));
  return {events_bytes(typed), events_bytes(dropped), events_bytes(control)};
}

std::vector<std::string> codes_seeds() {
  std::vector<std::string> out = {"12345678", " 13812345678 ", "+86 138-1234-5678", "CPN-AB12CD",
                                  "BB8",      "%69 VD92EX0",   "PMA1:BB8",          "M12345"};
  auto hq = codes::Ed25519PrivateKey::from_pem(kHqPrivateKeyPem);
  auto app = codes::Ed25519PrivateKey::from_pem(kAppPrivateKeyPem);
  check(hq && app, "the fixed fuzz keys do not load");
  auto credential =
      codes::issue_credential(*hq, kHqKeyId, kMemberId, app->public_key(), kExpiresAt);
  check(credential.has_value(), "cannot issue the seed credential");
  for (std::int64_t offset : {0, -30, 60}) {  // valid, the step before, two steps late
    auto qr = codes::make_member_qr(*credential, *app, codes::time_step_at(kNow + offset));
    check(qr.has_value(), "cannot make the seed member QR");
    out.push_back(*qr);
  }
  return out;
}

std::vector<std::string> printer_status_seeds() {
  return {std::string("\x12\x12\x12\x12", 4), std::string("\x1a\x36\x12\x72", 4),
          std::string("\x16\x52\x7a\x1e", 4), std::string("\x01\x12\x02\x72\x04\x1e", 6)};
}

std::string sample_batch_bytes(bool columnar) {
  v1::Batch batch;
  for (int i = 0; i < 4; ++i) {
    auto* d = batch.add_deltas();
    d->set_seq(41 + i);
    d->set_txn_id("POS-T01-" + std::string(i == 3 ? "0099" : "0042") + std::to_string(i));
    d->set_occurred_at_ms(1'760'000'000'000 + i * 65'000);
    if (i == 2) {
      auto* r = d->mutable_refund();
      r->set_member_id("M0000042");
      r->set_original_txn_id("POS-T01-00420");
      r->set_refunded_fen(1200);
      continue;
    }
    auto* k = d->mutable_checkout();
    k->set_member_id(i == 1 ? "" : "M0000042");
    k->set_gross_fen(12'800);
    k->set_tier_discount_fen(640);
    k->set_coupon_discount_fen(i * 100);
    k->set_paid_fen(12'160 - i * 100);
    k->set_points_earned(121);
    k->set_rule_set_version(3);
    if (i == 0) k->add_coupon_codes("CPN-AB12CD");
    for (int l = 0; l < 2; ++l) {
      auto* line = k->add_lines();
      line->set_sku("SKU-00" + std::to_string(17 + l));
      line->set_qty(1 + l);
      line->set_unit_price_fen(4'200 + l);
      line->set_category(l == 0 ? "drinks" : "");
      line->set_discountable(l == 0);
      line->set_paid_fen(4'000);
    }
  }
  if (columnar) wire::pack_checkouts(batch);
  return batch.SerializeAsString();
}

namespace {

std::string frames_text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

std::vector<std::string> wire_frames_seeds() {
  v1::Batch batch;
  batch.ParseFromString(sample_batch_bytes(false));
  v1::Hello hello;
  hello.set_protocol_version(2);
  v1::Ack ack;
  ack.set_highest_applied_seq(44);
  v1::Bye bye;
  const std::string session = frames_text(wire::encode_message(wire::FrameType::hello, hello)) +
                              frames_text(wire::encode_batch(batch, true)) +
                              frames_text(wire::encode_message(wire::FrameType::ack, ack)) +
                              frames_text(wire::encode_message(wire::FrameType::bye, bye));
  const std::string refused =
      frames_text(wire::encode_error(Error{"store_unknown", "store S9 is not enrolled"}));
  const std::string plain = frames_text(wire::encode_batch(batch, false));
  return {wire_input(0, 7, session), wire_input(0, 63, refused + session),
          wire_input(8, 0, plain + refused), wire_input(1, 3, session.substr(0, 40))};
}

std::vector<std::string> zstd_seeds() {
  const std::string batch = sample_batch_bytes(true);
  const auto compressed = wire::zstd_compress(as_bytes(batch));
  const std::string text(compressed.begin(), compressed.end());
  const std::string zeros(3000, '\0');
  const auto bomb = wire::zstd_compress(as_bytes(zeros));
  return {with_prefix(0, text), with_prefix(1, text),
          with_prefix(4, std::string(bomb.begin(), bomb.end())), with_prefix(0, "")};
}

std::vector<std::string> delta_columns_seeds() {
  return {sample_batch_bytes(true), sample_batch_bytes(false)};
}

std::vector<std::string> config_seeds() {
  std::vector<std::string> out;
  std::ifstream example(std::string(PMA_SOURCE_DIR) + "/packaging/memberd.example.toml");
  std::stringstream text;
  text << example.rdbuf();
  out.push_back(text.str());
  out.push_back(
      "[store]\nid = \"S002\"\nutc_offset_minutes = -300\n\n"
      "[[scanner]]\nname = \"front\"\nkind = \"serial\"\npath = \"/dev/ttyUSB0\"\nbaud = 9600\n\n"
      "[[printer]]\nname = \"receipt\"\ntransport = \"tcp\"\nhost = \"192.0.2.50\"\n"
      "port = 9100\npaper = \"58mm\"\n\n[codes]\ncard_prefix = \"M\"\n"
      "[sync]\nhq_host = \"hq.example\"\nreconcile_start = \"03:30\"\n");
  out.push_back("[api]\nport = 8766 # comment\n[log]\nlevel = 'debug'\n");
  return out;
}

std::vector<std::string> api_json_seeds() {
  return {
      with_prefix(0, R"({"cardNo": "12345678"})"),
      with_prefix(0, R"({"code": "PMA1:BB8"})"),
      with_prefix(1, R"({"memberId": "M1", "lines": [{"sku": "A", "qty": "2",
          "unitPriceFen": 1200, "category": "drinks", "discountable": true}],
          "couponCodes": ["CPN-AB12"], "pointsToBurn": 100})"),
      with_prefix(2, R"({"txnId": "POS-1", "memberId": "M1", "lines": [{"sku": "A", "qty": 1,
          "unitPriceFen": "-5"}], "expectedPayablePen": 5})"),
      with_prefix(2, R"({"txnId": "POS-1", "expectedPayableFen": 0})"),
      with_prefix(3, R"({"refundId": "R1", "originalTxnId": "POS-1",
          "lines": [{"lineIndex": 0, "qty": 1}]})"),
      with_prefix(4, R"({"phone": "13812345678", "name": "\u5f20\u4e09",
          "birthday": "1990-02-28"})"),
      with_prefix(5, R"({"idemKey": "K1", "receipt": {"storeName": "S", "pointsEarned": 3},
          "paper": "PAPER_WIDTH_58MM", "openDrawer": true})"),
      with_prefix(6, R"({"receipt": {"phoneMasked": "138****5678"}})"),
  };
}

std::vector<std::string> member_import_seeds() {
  return {
      with_prefix(0,
                  "member_id,card_no,phone,name,birthday,tier,points\n"
                  "M1,12345678,13812345678,\"Zhang, San\",1990-02-28,gold,120\n"
                  "M2,,+86 139-0000-1111,Li,,,\r\n\nM3,87654321,,\"He said \"\"hi\"\"\",,2,-5\n"),
      with_prefix(1,
                  "{\"member_id\":\"M1\",\"phone\":\"13812345678\",\"tier\":\"silver\","
                  "\"points\":\"7\"}\n{\"member_id\":\"M2\",\"name\":\"\\u674e\"}\n\n"
                  "{\"memberId\":\"M3\",\"cardNo\":\"1\"}\n"),
  };
}

}  // namespace pma::fuzz
