// SVG charts drawn by csops itself (no script, no fonts or files from outside): grouped bars
// and lines over categories. Each drawn value carries data-value and a <title> so the
// figures can be read back by a screen reader, a tooltip, or a test.
//
// Contract: the output is one <figure> holding an <svg role="img"> with an aria-label (the
// chart title), a legend and the plotted marks: class "bar" rects and class "line" polylines
// with class "point" circles. Values below zero are drawn as zero. With percent=true values
// are shares 0-1 and the axis runs 0-100 %.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/report/table.h"

namespace csops::report {

struct Series {
  Text name;
  std::vector<double> values;  // one per category
};

struct Chart {
  std::string id;
  Text title;
  std::vector<std::string> categories{};
  std::vector<Series> series{};
  bool percent = false;
  std::optional<double> target{};  // a dashed horizontal line, e.g. the 90 % goal
  Text target_label{};
};

std::string RenderBars(const Chart& c, Lang lang);
std::string RenderLines(const Chart& c, Lang lang);

}  // namespace csops::report
