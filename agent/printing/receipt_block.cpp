#include "agent/printing/receipt_block.h"

#include <fmt/format.h>

#include "drivers/printer/escpos.h"
#include "pma/phone.h"

namespace pma::printing {

namespace {

using printer::Align;

// Larger than any balance a member can hold; a point count beyond it is a client's bug.
constexpr std::int64_t kMaxReceiptPoints = 1'000'000'000'000;

// One element of the block, rendered either as ESC/POS or as text.
struct Element {
  enum class Kind { text, row, rule, qr } kind;
  std::string left;
  std::string right;
  Align align = Align::left;
  bool bold = false;
  int size = 1;
};

std::string tier_name(v1::Tier tier) {
  switch (tier) {
    case v1::TIER_NORMAL:
      return "普通会员";
    case v1::TIER_SILVER:
      return "银卡会员";
    case v1::TIER_GOLD:
      return "金卡会员";
    default:
      return "";
  }
}

std::string points(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

void coupon_rows(std::vector<Element>& out, std::string_view heading,
                 const google::protobuf::RepeatedPtrField<v1::ReceiptCoupon>& coupons) {
  if (coupons.empty()) return;
  out.push_back({Element::Kind::text, std::string(heading), "", Align::left, true});
  for (const v1::ReceiptCoupon& coupon : coupons) {
    std::string expiry = coupon.expires_on().empty() ? "" : "至 " + coupon.expires_on();
    out.push_back({Element::Kind::row, "  " + coupon.title(), expiry});
  }
}

std::vector<Element> build(const v1::MemberReceipt& r) {
  using K = Element::Kind;
  std::vector<Element> out;
  if (!r.store_name().empty()) {
    out.push_back({K::text, r.store_name(), "", Align::center, true, 2});
  }
  out.push_back({K::text, "会员信息 MEMBER", "", Align::center});
  out.push_back({K::rule});
  if (!r.member_name().empty()) out.push_back({K::row, "会员", r.member_name()});
  if (!r.phone_masked().empty()) out.push_back({K::row, "手机", mask_phone(r.phone_masked())});
  if (std::string tier = tier_name(r.tier()); !tier.empty()) out.push_back({K::row, "等级", tier});
  if (r.points_earned() >= 0) {
    out.push_back({K::row, "本次获得积分", "+" + points(r.points_earned())});
  } else {  // a refund takes back what the purchase earned
    out.push_back({K::row, "退货扣回积分", points(r.points_earned())});
  }
  if (r.points_used() > 0) out.push_back({K::row, "本次使用积分", "-" + points(r.points_used())});
  if (r.points_used() < 0) {  // and gives back what it burned
    out.push_back({K::row, "退货退回积分", "+" + points(-r.points_used())});
  }
  out.push_back({K::row, "积分余额", points(r.points_balance()), Align::left, true});
  if (r.points_debt() > 0) out.push_back({K::row, "待补积分", points(r.points_debt())});
  if (!r.coupons_used().empty() || !r.coupons_available().empty()) out.push_back({K::rule});
  coupon_rows(out, "本次使用优惠券", r.coupons_used());
  coupon_rows(out, "可用优惠券", r.coupons_available());
  if (std::string tier = tier_name(r.upgraded_to()); !tier.empty()) {
    out.push_back({K::rule});
    out.push_back({K::text, "恭喜您升级为" + tier + "！", "", Align::center, true});
  }
  if (!r.member_qr().empty()) {
    out.push_back({K::rule});
    out.push_back({K::qr, r.member_qr(), "", Align::center});
    out.push_back({K::text, "扫码查看会员权益", "", Align::center});
  }
  if (!r.transaction_id().empty()) {
    out.push_back({K::text, "交易号 " + r.transaction_id(), "", Align::left});
  }
  return out;
}

Status check_text(std::string_view field, const std::string& value, std::size_t max) {
  if (value.size() > max) {
    return fail("invalid_receipt",
                fmt::format("{} is {} bytes, at most {}", field, value.size(), max));
  }
  return {};
}

}  // namespace

std::string mask_phone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits += c;
  }
  // Already masked (as HQ and the till store it): kept, as long as it shows no more digits.
  if (phone.find('*') != std::string_view::npos && digits.size() <= 7) {
    return std::string(phone.substr(0, 16));
  }
  // A number in any written form masks as the store masks it ("+86 138..." is 138****5678).
  if (auto normalized = pma::normalize_phone(phone)) return pma::mask_phone(*normalized);
  if (digits.size() < 7) return "****";
  return digits.substr(0, 3) + "****" + digits.substr(digits.size() - 4);
}

Status validate_receipt(const v1::MemberReceipt& r) {
  // Negative in a refund's block; never beyond what one transaction can move (issue 11).
  for (auto [field, value] :
       {std::pair{"points_earned", r.points_earned()}, std::pair{"points_used", r.points_used()},
        std::pair{"points_balance", r.points_balance()},
        std::pair{"points_debt", r.points_debt()}}) {
    if (value < -kMaxReceiptPoints || value > kMaxReceiptPoints) {
      return fail("invalid_receipt", fmt::format("{} is {}, outside -{}..{}", field, value,
                                                 kMaxReceiptPoints, kMaxReceiptPoints));
    }
  }
  if (r.points_debt() < 0) return fail("invalid_receipt", "points_debt must not be negative");
  if (r.member_qr().size() > 2953) {
    return fail("invalid_receipt",
                fmt::format("member_qr is {} bytes, at most 2953", r.member_qr().size()));
  }
  for (auto [field, value] :
       {std::pair{"store_name", &r.store_name()}, std::pair{"member_name", &r.member_name()},
        std::pair{"phone_masked", &r.phone_masked()},
        std::pair{"transaction_id", &r.transaction_id()}, std::pair{"member_id", &r.member_id()}}) {
    if (auto ok = check_text(field, *value, 200); !ok) return ok;
  }
  if (r.coupons_used_size() + r.coupons_available_size() > 50) {
    return fail("invalid_receipt", "more than 50 coupons on one receipt");
  }
  for (const auto* list : {&r.coupons_used(), &r.coupons_available()}) {
    for (const v1::ReceiptCoupon& c : *list) {
      if (auto ok = check_text("coupon title", c.title(), 200); !ok) return ok;
      if (auto ok = check_text("coupon expires_on", c.expires_on(), 32); !ok) return ok;
      if (auto ok = check_text("coupon code", c.code(), 200); !ok) return ok;
    }
  }
  return {};
}

Result<std::string> render_receipt_escpos(const v1::MemberReceipt& receipt, printer::Paper paper,
                                          bool standalone, bool open_drawer) {
  PMA_TRY(validate_receipt(receipt));
  PMA_TRY_ASSIGN(auto encoder, printer::EscPosEncoder::create(printer::columns_for(paper)));
  printer::EscPosEncoder& e = encoder;
  if (standalone) e.initialize();
  for (const Element& el : build(receipt)) {
    switch (el.kind) {
      case Element::Kind::text:
        e.align(el.align).bold(el.bold).size(el.size, el.size).line(el.left);
        if (el.size != 1) e.size(1, 1);
        if (el.bold) e.bold(false);
        break;
      case Element::Kind::row:
        e.align(Align::left).bold(el.bold).row(el.left, el.right);
        if (el.bold) e.bold(false);
        break;
      case Element::Kind::rule:
        e.align(Align::left).rule('-');
        break;
      case Element::Kind::qr:
        e.align(Align::center).qr(el.left, {.module_size = paper == printer::Paper::mm58 ? 5 : 6});
        e.align(Align::left);
        break;
    }
  }
  e.align(Align::left);
  if (standalone) {
    e.cut(printer::CutMode::partial);
    if (open_drawer) e.drawer_pulse();
  }
  return std::move(e).finish();
}

Result<std::vector<std::string>> render_receipt_lines(const v1::MemberReceipt& receipt,
                                                      printer::Paper paper) {
  PMA_TRY(validate_receipt(receipt));
  PMA_TRY_ASSIGN(auto codec, printer::GbkCodec::open());
  const std::size_t columns = printer::columns_for(paper);
  std::vector<std::string> lines;
  for (const Element& el : build(receipt)) {
    switch (el.kind) {
      case Element::Kind::text:  // double size has no meaning in plain text
        for (const std::string& part : printer::wrap_text(codec, el.left, columns)) {
          lines.push_back(printer::align_line(codec, part, columns, el.align));
        }
        break;
      case Element::Kind::row:
        for (std::string& part : printer::two_column(codec, el.left, el.right, columns)) {
          lines.push_back(std::move(part));
        }
        break;
      case Element::Kind::rule:
        lines.emplace_back(columns, '-');
        break;
      case Element::Kind::qr:
        break;
    }
  }
  return lines;
}

v1::MemberReceipt demo_member_receipt() {
  v1::MemberReceipt r;
  r.set_store_name("鲜果茶 南京西路店");
  r.set_member_id("M00012345");
  r.set_member_name("王小明");
  r.set_phone_masked("138****5678");
  r.set_tier(v1::TIER_SILVER);
  r.set_points_earned(128);
  r.set_points_used(500);
  r.set_points_balance(12345);
  auto* used = r.add_coupons_used();
  used->set_code("CPN-7Q2K9D");
  used->set_title("满50减10元券");
  auto* birthday = r.add_coupons_available();
  birthday->set_code("CPN-B4X8M1");
  birthday->set_title("生日饮品免费券");
  birthday->set_expires_on("2026-12-31");
  r.set_upgraded_to(v1::TIER_GOLD);
  r.set_member_qr("8800012345");
  r.set_transaction_id("S042-T03-0042");
  return r;
}

printer::Paper paper_for(v1::PaperWidth width, printer::Paper configured) {
  if (width == v1::PAPER_WIDTH_58MM) return printer::Paper::mm58;
  if (width == v1::PAPER_WIDTH_80MM) return printer::Paper::mm80;
  return configured;
}

Result<v1::RenderReceiptResponse> render_receipt(const v1::RenderReceiptRequest& request,
                                                 printer::Paper configured) {
  printer::Paper paper = paper_for(request.paper(), configured);
  PMA_TRY_ASSIGN(auto bytes, render_receipt_escpos(request.receipt(), paper, /*standalone=*/false));
  PMA_TRY_ASSIGN(auto lines, render_receipt_lines(request.receipt(), paper));
  v1::RenderReceiptResponse response;
  response.set_escpos(std::move(bytes));
  for (std::string& line : lines) response.add_lines(std::move(line));
  response.set_columns(static_cast<int>(printer::columns_for(paper)));
  response.set_member_qr(request.receipt().member_qr());
  return response;
}

Result<std::string> print_key(const v1::PrintReceiptRequest& request) {
  const std::string& txn = request.receipt().transaction_id();
  if (txn.empty()) {
    if (request.idem_key().empty()) {
      return fail("invalid_print_job",
                  "idem_key (or receipt.transaction_id) is required: it keeps a retried print "
                  "from printing twice");
    }
    return request.idem_key();
  }
  if (!request.idem_key().empty() && request.idem_key() != txn) {
    return fail("invalid_print_job",
                fmt::format("idem_key '{}' differs from receipt.transaction_id '{}': a member "
                            "block is keyed by its transaction id (omit idem_key or send the same)",
                            request.idem_key(), txn));
  }
  return txn;
}

Result<v1::PrintReceiptResponse> print_receipt(PrintQueue& queue,
                                               const v1::PrintReceiptRequest& request,
                                               printer::Paper configured) {
  PMA_TRY_ASSIGN(auto key, print_key(request));
  // A known key prints nothing and needs no rendering.
  if (auto known = queue.jobs().find(key); known && *known) {
    v1::PrintReceiptResponse response;
    response.set_job_id((*known)->id);
    response.set_duplicate(true);
    response.set_state(std::string(to_string((*known)->state)));
    return response;
  }
  PMA_TRY_ASSIGN(auto bytes,
                 render_receipt_escpos(request.receipt(), paper_for(request.paper(), configured),
                                       /*standalone=*/true, request.open_drawer()));
  PMA_TRY_ASSIGN(auto accepted, queue.enqueue(key, bytes));
  v1::PrintReceiptResponse response;
  response.set_job_id(accepted.job_id);
  response.set_duplicate(accepted.duplicate);
  response.set_state(std::string(to_string(accepted.state)));
  return response;
}

}  // namespace pma::printing
