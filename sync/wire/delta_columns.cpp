#include "sync/wire/delta_columns.h"

#include <fmt/format.h>

#include <string_view>
#include <unordered_map>
#include <vector>

namespace pma::wire {

namespace {

using google::protobuf::RepeatedPtrField;
using pma::v1::Batch;
using pma::v1::CheckoutColumns;
using pma::v1::CheckoutCommitted;
using pma::v1::Delta;

// Differences wrap (modular arithmetic), so any int64/uint64 pair round-trips.
std::int64_t gap(std::uint64_t now, std::uint64_t previous) {
  return static_cast<std::int64_t>(now - previous);
}
std::uint64_t add_gap(std::uint64_t previous, std::int64_t gap) {
  return previous + static_cast<std::uint64_t>(gap);
}

// An id as prefix + trailing number, e.g. "POS-0042-" and 1234.
struct IdParts {
  std::string prefix;
  std::uint64_t number_plus_one = 0;  // 0: no trailing digits
  std::uint32_t width = 0;            // digit count when zero-padded, else 0
};

// Trailing digits split off an id: fits an int64 with room for the +1.
constexpr std::size_t kMaxDigits = 18;

IdParts split_id(const std::string& id) {
  std::size_t start = id.size();
  while (start > 0 && id.size() - start < kMaxDigits && id[start - 1] >= '0' &&
         id[start - 1] <= '9') {
    --start;
  }
  IdParts parts{id.substr(0, start)};
  if (start == id.size()) return parts;
  std::string_view digits(id.data() + start, id.size() - start);
  std::uint64_t number = 0;
  for (char c : digits) number = number * 10 + static_cast<std::uint64_t>(c - '0');
  parts.number_plus_one = number + 1;
  if (digits.size() > 1 && digits[0] == '0')
    parts.width = static_cast<std::uint32_t>(digits.size());
  return parts;
}

Error garbled(std::string what) {
  return Error{"batch_garbled", fmt::format("checkout columns: {}", what)};
}

Result<std::string> join_id(const std::string& prefix, std::uint64_t number_plus_one,
                            std::uint32_t width) {
  if (number_plus_one == 0) {
    if (width != 0) return std::unexpected(garbled("a width without a number"));
    return prefix;
  }
  // split_id never writes more: a wider width would be a string the sender did not pay for.
  if (width > kMaxDigits) return std::unexpected(garbled(fmt::format("a width of {}", width)));
  std::string digits = std::to_string(number_plus_one - 1);
  if (width != 0) {
    if (digits.size() > width) return std::unexpected(garbled("a number wider than its width"));
    digits.insert(0, width - digits.size(), '0');
  }
  return prefix + digits;
}

// Distinct strings, numbered from 0 in first-use order.
class PrefixTable {
 public:
  explicit PrefixTable(RepeatedPtrField<std::string>* entries) : entries_(entries) {}
  std::uint32_t index(const std::string& value) {
    auto [it, fresh] = index_.try_emplace(value, static_cast<std::uint32_t>(index_.size()));
    if (fresh) entries_->Add()->assign(value);
    return it->second;
  }

 private:
  RepeatedPtrField<std::string>* entries_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

// A per-batch dictionary: a row refers to "" (0), its first use of an entry (1: the entry is
// appended) or a repeat (k + 2: entry k). First uses cost no index at all, and entries are
// stored as prefix + number, which zstd packs far tighter than digits as text.
class Dictionary {
 public:
  explicit Dictionary(pma::v1::DictionaryStrings* out)
      : out_(out), prefixes_(out->mutable_prefixes()) {}
  std::uint32_t ref(const std::string& value) {
    if (value.empty()) return 0;
    auto [it, fresh] = index_.try_emplace(value, static_cast<std::uint32_t>(index_.size()));
    if (!fresh) return it->second + 2;
    IdParts parts = split_id(value);
    out_->add_prefix(prefixes_.index(parts.prefix));
    out_->add_number(parts.number_plus_one);
    out_->add_width(parts.width);
    return 1;
  }

 private:
  pma::v1::DictionaryStrings* out_;
  PrefixTable prefixes_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

// The receiving side of a Dictionary.
class DictionaryReader {
 public:
  DictionaryReader(const pma::v1::DictionaryStrings& in, std::string_view column)
      : in_(in), column_(column) {}
  Result<std::string> ref(std::uint32_t code) {
    if (code == 0) return std::string();
    if (code >= 2) {
      if (code - 2 >= entries_.size()) {
        return std::unexpected(garbled(
            fmt::format("{} refers to entry {} of {} seen", column_, code - 2, entries_.size())));
      }
      return entries_[code - 2];
    }
    auto next = static_cast<int>(entries_.size());
    if (next >= in_.number_size() || next >= in_.prefix_size() || next >= in_.width_size()) {
      return std::unexpected(garbled(fmt::format("{} runs out of entries", column_)));
    }
    auto prefix = in_.prefix(next);
    if (prefix >= static_cast<std::uint32_t>(in_.prefixes_size())) {
      return std::unexpected(
          garbled(fmt::format("{} prefix {} of {}", column_, prefix, in_.prefixes_size())));
    }
    auto entry = join_id(in_.prefixes(static_cast<int>(prefix)), in_.number(next), in_.width(next));
    if (!entry) return entry;
    entries_.push_back(std::move(*entry));
    return entries_.back();
  }

 private:
  const pma::v1::DictionaryStrings& in_;
  std::string_view column_;
  std::vector<std::string> entries_;
};

bool no_unknown_fields(const google::protobuf::Message& message) {
  return message.GetReflection()->GetUnknownFields(message).empty();
}

bool columnar(const Delta& delta) {
  if (delta.body_case() != Delta::kCheckout || !no_unknown_fields(delta)) return false;
  const auto& checkout = delta.checkout();
  if (!no_unknown_fields(checkout)) return false;
  for (const auto& line : checkout.lines()) {
    if (!no_unknown_fields(line)) return false;
  }
  return true;
}

struct Encoder {
  CheckoutColumns& c;
  PrefixTable prefixes{c.mutable_txn_prefixes()};
  Dictionary members{c.mutable_members()};
  Dictionary skus{c.mutable_skus()};
  Dictionary categories{c.mutable_categories()};
  std::uint64_t seq = 0, at = 0, txn = 0, rules = 0;

  void add(const Delta& d) {
    const CheckoutCommitted& k = d.checkout();
    c.add_seq_gap(gap(d.seq(), seq));
    seq = d.seq();
    auto occurred = static_cast<std::uint64_t>(d.occurred_at_ms());
    c.add_occurred_at_ms_gap(gap(occurred, at));
    at = occurred;
    IdParts parts = split_id(d.txn_id());
    c.add_txn_prefix(prefixes.index(parts.prefix));
    c.add_txn_number_gap(gap(parts.number_plus_one, txn));
    txn = parts.number_plus_one;
    c.add_txn_width(parts.width);
    c.add_member(members.ref(k.member_id()));
    c.add_gross_fen(k.gross_fen());
    c.add_tier_discount_fen(k.tier_discount_fen());
    c.add_coupon_discount_fen(k.coupon_discount_fen());
    c.add_points_discount_fen(k.points_discount_fen());
    c.add_paid_fen_residual(gap(static_cast<std::uint64_t>(k.paid_fen()), expected_paid(k)));
    c.add_points_earned(k.points_earned());
    c.add_points_burned(k.points_burned());
    auto version = static_cast<std::uint64_t>(k.rule_set_version());
    c.add_rule_set_version_gap(gap(version, rules));
    rules = version;
    c.add_coupon_count(static_cast<std::uint32_t>(k.coupon_codes_size()));
    for (const auto& code : k.coupon_codes()) c.add_coupon_codes(code);
    c.add_line_count(static_cast<std::uint32_t>(k.lines_size()));
    for (const auto& line : k.lines()) {
      c.add_line_sku(skus.ref(line.sku()));
      c.add_line_qty(line.qty());
      c.add_line_unit_price_fen(line.unit_price_fen());
      c.add_line_category(categories.ref(line.category()));
      c.add_line_discountable(line.discountable());
      c.add_line_paid_fen(line.paid_fen());
    }
  }

  // What the checkout engine pays: gross minus every discount (wrapping, like the gaps).
  static std::uint64_t expected_paid(const CheckoutCommitted& k) {
    return static_cast<std::uint64_t>(k.gross_fen()) -
           static_cast<std::uint64_t>(k.tier_discount_fen()) -
           static_cast<std::uint64_t>(k.coupon_discount_fen()) -
           static_cast<std::uint64_t>(k.points_discount_fen());
  }
};

// Every per-row column has one entry per row; the flattened ones add up to their counts.
Status check_shape(const CheckoutColumns& c) {
  const int rows = c.seq_gap_size();
  const std::pair<int, const char*> per_row[] = {
      {c.occurred_at_ms_gap_size(), "occurred_at_ms_gap"},
      {c.txn_prefix_size(), "txn_prefix"},
      {c.txn_number_gap_size(), "txn_number_gap"},
      {c.txn_width_size(), "txn_width"},
      {c.member_size(), "member"},
      {c.gross_fen_size(), "gross_fen"},
      {c.tier_discount_fen_size(), "tier_discount_fen"},
      {c.coupon_discount_fen_size(), "coupon_discount_fen"},
      {c.points_discount_fen_size(), "points_discount_fen"},
      {c.paid_fen_residual_size(), "paid_fen_residual"},
      {c.points_earned_size(), "points_earned"},
      {c.points_burned_size(), "points_burned"},
      {c.rule_set_version_gap_size(), "rule_set_version_gap"},
      {c.coupon_count_size(), "coupon_count"},
      {c.line_count_size(), "line_count"},
  };
  for (const auto& [size, name] : per_row) {
    if (size != rows) {
      return std::unexpected(garbled(fmt::format("{} has {} rows, seq_gap {}", name, size, rows)));
    }
  }
  std::uint64_t coupons = 0, lines = 0;
  for (auto n : c.coupon_count()) coupons += n;
  for (auto n : c.line_count()) lines += n;
  if (coupons != static_cast<std::uint64_t>(c.coupon_codes_size())) {
    return std::unexpected(garbled(
        fmt::format("coupon counts add up to {}, {} codes sent", coupons, c.coupon_codes_size())));
  }
  const int line_columns[] = {
      c.line_sku_size(),      c.line_qty_size(),          c.line_unit_price_fen_size(),
      c.line_category_size(), c.line_discountable_size(), c.line_paid_fen_size()};
  for (int size : line_columns) {
    if (static_cast<std::uint64_t>(size) != lines) {
      return std::unexpected(
          garbled(fmt::format("line counts add up to {}, a line column has {}", lines, size)));
    }
  }
  return {};
}

struct Decoder {
  const CheckoutColumns& c;
  DictionaryReader members{c.members(), "member"};
  DictionaryReader skus{c.skus(), "line_sku"};
  DictionaryReader categories{c.categories(), "line_category"};
  int coupon = 0, line = 0;
  std::uint64_t seq = 0, at = 0, txn = 0, rules = 0;

  Status row(int i, Delta& d) {
    seq = add_gap(seq, c.seq_gap(i));
    d.set_seq(seq);
    at = add_gap(at, c.occurred_at_ms_gap(i));
    d.set_occurred_at_ms(static_cast<std::int64_t>(at));
    if (c.txn_prefix(i) >= static_cast<std::uint32_t>(c.txn_prefixes_size())) {
      return std::unexpected(
          garbled(fmt::format("txn_prefix {} of {}", c.txn_prefix(i), c.txn_prefixes_size())));
    }
    txn = add_gap(txn, c.txn_number_gap(i));
    PMA_TRY_ASSIGN(auto txn_id,
                   join_id(c.txn_prefixes(static_cast<int>(c.txn_prefix(i))), txn, c.txn_width(i)));
    d.set_txn_id(std::move(txn_id));
    CheckoutCommitted& k = *d.mutable_checkout();
    PMA_TRY_ASSIGN(auto member, members.ref(c.member(i)));
    k.set_member_id(std::move(member));
    k.set_gross_fen(c.gross_fen(i));
    k.set_tier_discount_fen(c.tier_discount_fen(i));
    k.set_coupon_discount_fen(c.coupon_discount_fen(i));
    k.set_points_discount_fen(c.points_discount_fen(i));
    k.set_paid_fen(
        static_cast<std::int64_t>(add_gap(Encoder::expected_paid(k), c.paid_fen_residual(i))));
    k.set_points_earned(c.points_earned(i));
    k.set_points_burned(c.points_burned(i));
    rules = add_gap(rules, c.rule_set_version_gap(i));
    k.set_rule_set_version(static_cast<std::int64_t>(rules));
    for (std::uint32_t n = 0; n < c.coupon_count(i); ++n)
      k.add_coupon_codes(c.coupon_codes(coupon++));
    for (std::uint32_t n = 0; n < c.line_count(i); ++n, ++line) {
      auto* out = k.add_lines();
      PMA_TRY_ASSIGN(auto sku, skus.ref(c.line_sku(line)));
      out->set_sku(std::move(sku));
      out->set_qty(c.line_qty(line));
      out->set_unit_price_fen(c.line_unit_price_fen(line));
      PMA_TRY_ASSIGN(auto category, categories.ref(c.line_category(line)));
      out->set_category(std::move(category));
      out->set_discountable(c.line_discountable(line));
      out->set_paid_fen(c.line_paid_fen(line));
    }
    return {};
  }
};

}  // namespace

void pack_checkouts(Batch& batch) {
  if (batch.has_checkouts()) return;
  std::vector<bool> packed(static_cast<std::size_t>(batch.deltas_size()));
  bool any = false;
  for (int i = 0; i < batch.deltas_size(); ++i) {
    const Delta& d = batch.deltas(i);
    if (i > 0 && d.seq() <= batch.deltas(i - 1).seq()) return;  // merging by seq would reorder
    packed[static_cast<std::size_t>(i)] = columnar(d);
    any = any || packed[static_cast<std::size_t>(i)];
  }
  if (!any) return;
  Encoder encoder{*batch.mutable_checkouts()};
  auto* deltas = batch.mutable_deltas();
  int kept = 0;
  for (int i = 0; i < deltas->size(); ++i) {
    if (packed[static_cast<std::size_t>(i)]) {
      encoder.add(deltas->Get(i));
    } else {
      if (kept != i) deltas->SwapElements(kept, i);
      ++kept;
    }
  }
  while (deltas->size() > kept) deltas->RemoveLast();
}

Status unpack_checkouts(Batch& batch) {
  if (!batch.has_checkouts()) return {};
  const CheckoutColumns& c = batch.checkouts();
  if (auto ok = check_shape(c); !ok) return ok;
  const int rows = c.seq_gap_size();
  std::vector<std::uint64_t> seqs(static_cast<std::size_t>(rows));
  std::uint64_t seq = 0;
  for (int i = 0; i < rows; ++i)
    seqs[static_cast<std::size_t>(i)] = seq = add_gap(seq, c.seq_gap(i));
  RepeatedPtrField<Delta> merged;
  merged.Reserve(rows + batch.deltas_size());
  auto* plain = batch.mutable_deltas();
  Decoder decoder{c};
  int p = 0, r = 0;
  std::uint64_t last = 0;
  while (p < plain->size() || r < rows) {
    bool take_row =
        p == plain->size() || (r < rows && seqs[static_cast<std::size_t>(r)] < plain->Get(p).seq());
    std::uint64_t next = take_row ? seqs[static_cast<std::size_t>(r)] : plain->Get(p).seq();
    if (merged.size() > 0 && next <= last) {
      return fail(
          "batch_garbled",
          fmt::format("checkout columns: seq {} follows {} in the merged batch", next, last));
    }
    last = next;
    if (take_row) {
      if (auto ok = decoder.row(r++, *merged.Add()); !ok) return ok;
    } else {
      *merged.Add() = std::move(*plain->Mutable(p++));
    }
  }
  plain->Swap(&merged);
  batch.clear_checkouts();
  return {};
}

}  // namespace pma::wire
