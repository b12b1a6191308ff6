// control/report_chart.h — the review report's charts as inline SVG (no script, no external
// resource): stacked bars over time, and stacked horizontal bars per name. Sized by viewBox,
// so they scale to the page and print as vectors. Labels arrive already formatted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iocgate {

struct ChartSeries {
  std::string name;   // for the legend ("" leaves it out)
  std::string color;  // CSS colour
  std::vector<uint64_t> values;
};

struct TimeChart {
  std::vector<ChartSeries> stacked;      // equal lengths: one value per bin
  std::vector<std::string> bin_labels;   // one per bin ("" for none); a few are drawn as ticks
  std::string max_label;                 // the y axis' top value as text ("" for no axis)
  std::string title;                     // <title>, for screen readers
  int height = 150;                      // in viewBox units; the width is 1000
  bool legend = true;
  bool edge_labels = false;              // without an axis: the first and last bin's labels, small
};
std::string svg_time_chart(const TimeChart& c);

struct BarChart {
  std::vector<std::string> labels;       // one per bar
  std::vector<ChartSeries> stacked;      // one value per bar
  std::vector<std::string> value_labels; // drawn after each bar
  std::string title;
};
std::string svg_bar_chart(const BarChart& c);

// Text for SVG and HTML: & < > " ' escaped.
std::string xml_escape(const std::string& s);

}  // namespace iocgate
