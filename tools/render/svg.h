// The few pieces every SVG plot shares: escaping text for XML, formatting
// numbers for coordinates and labels, and the series colours.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cacheopt::experiment {

// Escapes & < > " ' for use in XML text and attribute values.
std::string XmlEscape(std::string_view text);
// A coordinate: one decimal, no trailing ".0" ("12", "12.5", "-3").
std::string Coord(double v);
// A tick or value label: up to 4 significant digits, no exponent for
// 1e-4 <= |v| < 1e6 ("0.05", "2.5", "1200", "1e+06").
std::string Label(double v);
// A colour per series index, cycling through 10 distinguishable ones.
const char* SeriesColor(size_t i);
// Approximate width in pixels of `text` at the plots' 11 px font.
double TextWidth(std::string_view text);

}  // namespace cacheopt::experiment
