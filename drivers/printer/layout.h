// Receipt line layout: UTF-8 text measured in printer columns (ASCII one column, a Chinese or
// other GBK character two), wrapped for 58 mm (32 columns) and 80 mm (48 columns) paper.
// Pure functions; thread-compatible (the codec passed in belongs to the caller's thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/printer/gbk.h"

namespace pma::printer {

enum class Paper { mm58, mm80 };

// Columns of the normal (12x24) font: 32 on 58 mm paper, 48 on 80 mm paper.
constexpr std::size_t columns_for(Paper paper) { return paper == Paper::mm58 ? 32 : 48; }

// Parses "58mm"/"58" or "80mm"/"80". Error "invalid_paper_width".
Result<Paper> parse_paper(std::string_view text);

enum class Align { left, center, right };

// UTF-8 to code points; a malformed sequence becomes U+FFFD (and prints as "?").
std::u32string decode_utf8(std::string_view utf8);
void append_utf8(std::string& out, char32_t code_point);

// Printed width of `utf8` in columns (control characters count zero).
std::size_t display_width(GbkCodec& codec, std::string_view utf8);

// Wraps into lines of at most `columns` columns, never splitting a character (a two-column
// character that does not fit moves to the next line). Prefers breaking after a space when the
// line has one; '\n' forces a break, '\t' becomes a space, other control characters are
// dropped. Returns at least one (possibly empty) line, in UTF-8.
std::vector<std::string> wrap_text(GbkCodec& codec, std::string_view utf8, std::size_t columns);

// Pads a line of at most `columns` columns with spaces to place it left, centred or right.
std::string align_line(GbkCodec& codec, std::string_view utf8, std::size_t columns, Align align);

// A row with `label` on the left and `value` on the right, `columns` wide. When both do not
// fit on one line with a space between, the label is wrapped and the value is right-aligned on
// a line of its own (itself wrapped if wider than the paper). An empty value gives the wrapped
// label alone.
std::vector<std::string> two_column(GbkCodec& codec, std::string_view label, std::string_view value,
                                    std::size_t columns);

}  // namespace pma::printer
