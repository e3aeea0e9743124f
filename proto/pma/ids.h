// The rule for store and terminal ids, wherever they enter: a till's `[store] id` and
// `terminal`, `memberhq ca issue STORE TERMINAL`, and the OU (store) and CN (terminal) of a
// certificate HQ admits. Pure, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace pma {

inline constexpr std::size_t kMaxStoreOrTerminalIdLength = 32;
// For messages: what a valid id is.
inline constexpr std::string_view kStoreOrTerminalIdRule = "1-32 letters (A-Z, a-z), digits or '_'";

// 1-32 characters of [A-Za-z0-9_]. No '-' (nor '.'): the ids a till mints join its store and
// terminal with '-' ("P-<store>-<terminal>-<n>", "W-..."), and HQ checks them by that prefix, so
// a prefix must name exactly one terminal (with '-' allowed, store S1's terminal T1 and store
// S1-T1's terminal X would share "P-S1-T1-").
inline bool is_valid_store_or_terminal_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxStoreOrTerminalIdLength) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace pma
