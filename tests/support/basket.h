// Basket lines for tests that price, quote or commit a sale: one place that spells out a
// BasketLine, so each test names only what it varies. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "pma/v1/checkout.pb.h"

namespace pma::test {

// `qty` of `sku` at `unit_fen` each; discountable bakery unless told otherwise.
inline v1::BasketLine basket_line(std::string sku, std::int64_t qty, std::int64_t unit_fen,
                                  bool discountable = true, std::string category = "bakery") {
  v1::BasketLine l;
  l.set_sku(std::move(sku));
  l.set_qty(qty);
  l.set_unit_price_fen(unit_fen);
  l.set_discountable(discountable);
  l.set_category(std::move(category));
  return l;
}

}  // namespace pma::test
