#include "drivers/printer/layout.h"

#include <fmt/format.h>

namespace pma::printer {

Result<Paper> parse_paper(std::string_view text) {
  if (text == "58mm" || text == "58") return Paper::mm58;
  if (text == "80mm" || text == "80") return Paper::mm80;
  return fail("invalid_paper_width",
              fmt::format("paper width '{}' is not one of 58mm, 80mm", text));
}

std::u32string decode_utf8(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    auto byte = static_cast<unsigned char>(utf8[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    char32_t cp = length == 1   ? byte
                  : length == 2 ? byte & 0x1F
                  : length == 3 ? byte & 0x0F
                                : byte & 0x07;
    bool valid = length != 0 && i + length <= utf8.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(utf8[i + k]);
      if ((next & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (next & 0x3F);
    }
    // Reject overlong forms, surrogates and values beyond Unicode.
    if (valid &&
        ((length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) ||
         (length == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) {
      valid = false;
    }
    if (!valid) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::size_t display_width(GbkCodec& codec, std::string_view utf8) {
  std::size_t width = 0;
  for (char32_t c : decode_utf8(utf8)) width += codec.width(c);
  return width;
}

namespace {

std::string to_utf8(const std::u32string& text) {
  std::string out;
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

}  // namespace

std::vector<std::string> wrap_text(GbkCodec& codec, std::string_view utf8, std::size_t columns) {
  if (columns == 0) columns = 1;
  std::vector<std::string> lines;
  std::u32string line;
  std::size_t width = 0;
  auto width_of = [&](const std::u32string& text) {
    std::size_t w = 0;
    for (char32_t c : text) w += codec.width(c);
    return w;
  };
  for (char32_t c : decode_utf8(utf8)) {
    if (c == U'\n') {
      lines.push_back(to_utf8(line));
      line.clear();
      width = 0;
      continue;
    }
    if (c == U'\t') c = U' ';
    std::size_t w = codec.width(c);
    if (w == 0) continue;
    if (width + w > columns) {
      if (c == U' ') {  // a space at the break is swallowed
        lines.push_back(to_utf8(line));
        line.clear();
        width = 0;
        continue;
      }
      std::size_t space = line.rfind(U' ');
      std::u32string carry;
      if (space != std::u32string::npos && space > 0 && c < 0x80 && line.back() < 0x80) {
        carry = line.substr(space + 1);  // move the partial ASCII word down
        line.resize(space);
      }
      lines.push_back(to_utf8(line));
      line = std::move(carry);
      width = width_of(line);
    }
    line.push_back(c);
    width += w;
  }
  lines.push_back(to_utf8(line));
  return lines;
}

std::string align_line(GbkCodec& codec, std::string_view utf8, std::size_t columns, Align align) {
  std::size_t width = display_width(codec, utf8);
  if (width >= columns || align == Align::left) return std::string(utf8);
  std::size_t pad = columns - width;
  if (align == Align::center) pad /= 2;
  return std::string(pad, ' ') + std::string(utf8);
}

std::vector<std::string> two_column(GbkCodec& codec, std::string_view label, std::string_view value,
                                    std::size_t columns) {
  if (value.empty()) return wrap_text(codec, label, columns);
  std::size_t label_width = display_width(codec, label);
  std::size_t value_width = display_width(codec, value);
  if (label_width + 1 + value_width <= columns) {
    return {std::string(label) + std::string(columns - label_width - value_width, ' ') +
            std::string(value)};
  }
  std::vector<std::string> lines = wrap_text(codec, label, columns);
  for (std::string& part : wrap_text(codec, value, columns)) {
    lines.push_back(align_line(codec, part, columns, Align::right));
  }
  return lines;
}

}  // namespace pma::printer
