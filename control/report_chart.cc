// control/report_chart.cc — bar geometry and SVG text.

#include "control/report_chart.h"

#include <fmt/format.h>

#include <algorithm>

namespace iocgate {

namespace {

constexpr double kWidth = 1000;

// Code points, for a label's width estimate (SVG text does not wrap).
size_t chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string cut(const std::string& s, size_t max) {
  if (chars(s) <= max) return s;
  std::string o;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && n++ == max - 1) break;
    o += s[i];
  }
  return o + "…";
}

std::string legend(const std::vector<ChartSeries>& series, double x, double y) {
  std::string o;
  for (const ChartSeries& s : series) {
    if (s.name.empty()) continue;
    o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="10" height="10" fill="{}"/>)", x, y - 9, s.color);
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)", x + 14, y, xml_escape(s.name));
    x += 28 + 7.0 * static_cast<double>(chars(s.name));
  }
  return o;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string svg_time_chart(const TimeChart& c) {
  const size_t bins = c.stacked.empty() ? 0 : c.stacked[0].values.size();
  const bool axis = !c.max_label.empty();
  const double left = axis ? 60 : 2, right = kWidth - 4, top = c.legend ? 22 : 4;
  const double bottom = c.height - (axis ? 20 : c.edge_labels ? 13 : 2);
  uint64_t max = 0;
  for (size_t i = 0; i < bins; ++i) {
    uint64_t sum = 0;
    for (const ChartSeries& s : c.stacked) sum += i < s.values.size() ? s.values[i] : 0;
    max = std::max(max, sum);
  }
  std::string o = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" class="chart">)",
      static_cast<int>(kWidth), c.height);
  o += "<title>" + xml_escape(c.title) + "</title>";
  o += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#444" stroke-width="1"/>)", left,
                   bottom, right);
  if (axis) {
    o += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#444" stroke-width="1"/>)",
                     left, top, bottom);
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="end">{}</text>)", left - 5, top + 9,
                     xml_escape(c.max_label));
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="end">0</text>)", left - 5, bottom);
  }
  if (c.legend) o += legend(c.stacked, left + 4, 14);
  if (bins > 0) {
    const double step = (right - left) / static_cast<double>(bins);
    const double bar = std::max(1.0, step * 0.8);
    for (size_t i = 0; i < bins; ++i) {
      double y = bottom;
      for (const ChartSeries& s : c.stacked) {
        const uint64_t v = i < s.values.size() ? s.values[i] : 0;
        if (v == 0 || max == 0) continue;
        // A bin with any flow shows at least a sliver: one flow must not vanish beside a burst.
        const double h = std::max(1.5, (bottom - top) * static_cast<double>(v) / static_cast<double>(max));
        y -= h;
        o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>)",
                         left + step * static_cast<double>(i) + (step - bar) / 2, y, bar, h, s.color);
      }
    }
    if (!axis && c.edge_labels && !c.bin_labels.empty()) {
      o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="10" fill="#555">{}</text>)", left, bottom + 11,
                       xml_escape(c.bin_labels.front()));
      o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="10" fill="#555" text-anchor="end">{}</text>)", right,
                       bottom + 11, xml_escape(c.bin_labels.back()));
    }
    if (axis) {
      // About six ticks, none crowding the next: a label takes ~7 units per character.
      size_t longest = 1;
      for (const std::string& l : c.bin_labels) longest = std::max(longest, chars(l));
      const size_t room = static_cast<size_t>((right - left) / (7.0 * static_cast<double>(longest) + 24));
      const size_t ticks = std::clamp<size_t>(room, 1, 6);
      const size_t every = (bins + ticks - 1) / ticks;
      for (size_t i = 0; i < bins && i < c.bin_labels.size(); i += every) {
        const double x = left + step * static_cast<double>(i);
        o += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#444"/>)", x, bottom,
                         bottom + 4);
        o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="start">{}</text>)", x,
                         bottom + 16, xml_escape(c.bin_labels[i]));
      }
    }
  }
  o += "</svg>";
  return o;
}

std::string svg_bar_chart(const BarChart& c) {
  const size_t n = c.labels.size();
  // The value labels after the bars get the room their longest needs: SVG text never wraps,
  // so a bar may not push its label off the page.
  size_t longest = 0;
  for (const std::string& v : c.value_labels) longest = std::max(longest, chars(v));
  const double row = 20, top = 24, label_w = 300;
  const double value_w = std::max(150.0, 7.5 * static_cast<double>(longest) + 16);
  const double height = top + row * static_cast<double>(n) + 6;
  uint64_t max = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t sum = 0;
    for (const ChartSeries& s : c.stacked) sum += i < s.values.size() ? s.values[i] : 0;
    max = std::max(max, sum);
  }
  std::string o = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {:.0f}" width="100%" role="img" class="chart">)",
      static_cast<int>(kWidth), height);
  o += "<title>" + xml_escape(c.title) + "</title>";
  o += legend(c.stacked, label_w, 14);
  const double span = kWidth - label_w - value_w;
  for (size_t i = 0; i < n; ++i) {
    const double y = top + row * static_cast<double>(i);
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="end">{}</text>)", label_w - 8,
                     y + 13, xml_escape(cut(c.labels[i], 40)));
    double x = label_w;
    for (const ChartSeries& s : c.stacked) {
      const uint64_t v = i < s.values.size() ? s.values[i] : 0;
      if (v == 0 || max == 0) continue;
      const double w = std::max(1.5, span * static_cast<double>(v) / static_cast<double>(max));
      o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>)", x, y + 3, w,
                       row - 6, s.color);
      x += w;
    }
    if (i < c.value_labels.size())
      o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)", x + 6, y + 13,
                       xml_escape(c.value_labels[i]));
  }
  o += "</svg>";
  return o;
}

}  // namespace iocgate
