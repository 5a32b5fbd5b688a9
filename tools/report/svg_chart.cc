#include "tools/report/svg_chart.h"

#include <algorithm>
#include <cmath>

namespace csops::report {
namespace {

constexpr double kWidth = 760, kHeight = 320;
constexpr double kLeft = 64, kRight = 16, kTop = 16, kBottom = 56;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
// Colour-blind-safe palette (Okabe-Ito), each at least 3:1 against white.
const char* const kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8C6D00", "#56B4E9"};

std::string Num(double v) { return Fixed(v, 1); }

// A "nice" axis maximum (1, 2, 2.5 or 5 times a power of ten) at or above v.
double NiceMax(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

double Top(const Chart& c) {
  if (c.percent) return 1.0;
  double m = c.target.value_or(0);
  for (const Series& s : c.series)
    for (double v : s.values) m = std::max(m, v);
  return NiceMax(m);
}

std::string Label(const Chart& c, double v) {
  return c.percent ? Percent(v) : (v == std::floor(v) ? Fixed(v, 0) : Fixed(v, 2));
}

std::string Open(const Chart& c, Lang lang, double top) {
  std::string out = "<figure class=\"chart\" id=\"" + EscapeHtml(c.id) +
                    "\">\n<svg class=\"chart\" " + "role=\"img\" aria-label=\"" +
                    EscapeHtml(c.title.In(lang)) + "\" viewBox=\"0 0 " + Num(kWidth) + " " +
                    Num(kHeight) + "\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>" +
                    EscapeHtml(c.title.In(lang)) + "</title>\n";
  for (int i = 0; i <= 4; ++i) {  // grid and y axis labels
    const double v = top * i / 4;
    const double y = kTop + kPlotH - kPlotH * i / 4;
    out += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + kPlotW) +
           "\" y1=\"" + Num(y) + "\" y2=\"" + Num(y) + "\"/><text class=\"axis\" x=\"" +
           Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           EscapeHtml(Label(c, v)) + "</text>\n";
  }
  return out;
}

std::string Close(const Chart& c, Lang lang, double top) {
  std::string out;
  if (c.target) {
    const double y = kTop + kPlotH - kPlotH * std::min(*c.target / top, 1.0);
    out += "<line class=\"target\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + kPlotW) +
           "\" y1=\"" + Num(y) + "\" y2=\"" + Num(y) + "\"/><text class=\"target-label\" x=\"" +
           Num(kLeft + kPlotW) + "\" y=\"" + Num(y - 4) + "\" text-anchor=\"end\">" +
           EscapeHtml(c.target_label.In(lang) + " " + Label(c, *c.target)) + "</text>\n";
  }
  out += "</svg>\n<figcaption><span class=\"chart-title\">" + EscapeHtml(c.title.In(lang)) +
         "</span><ul class=\"legend\">";
  for (std::size_t i = 0; i < c.series.size(); ++i)
    out += "<li><span class=\"swatch\" style=\"background:" +
           std::string(kColors[i % std::size(kColors)]) + "\"></span>" +
           EscapeHtml(c.series[i].name.In(lang)) + "</li>";
  return out + "</ul></figcaption>\n</figure>\n";
}

std::string CategoryLabel(double x, const std::string& text) {
  return "<text class=\"axis\" x=\"" + Num(x) + "\" y=\"" + Num(kTop + kPlotH + 18) +
         "\" text-anchor=\"middle\">" + EscapeHtml(text) + "</text>\n";
}

}  // namespace

std::string RenderBars(const Chart& c, Lang lang) {
  const double top = Top(c);
  std::string out = Open(c, lang, top);
  const std::size_t n = std::max<std::size_t>(c.categories.size(), 1);
  const double slot = kPlotW / static_cast<double>(n);
  const double group = slot * 0.8;
  const double bar = group / static_cast<double>(std::max<std::size_t>(c.series.size(), 1));
  for (std::size_t k = 0; k < c.categories.size(); ++k) {
    const double x0 = kLeft + slot * static_cast<double>(k) + (slot - group) / 2;
    for (std::size_t s = 0; s < c.series.size(); ++s) {
      const double v = k < c.series[s].values.size() ? std::max(c.series[s].values[k], 0.0) : 0;
      const double h = kPlotH * std::min(v / top, 1.0);
      out += "<rect class=\"bar\" data-value=\"" + Fixed(v, 4) + "\" x=\"" +
             Num(x0 + bar * static_cast<double>(s)) + "\" y=\"" + Num(kTop + kPlotH - h) +
             "\" width=\"" + Num(std::max(bar - 2, 1.0)) + "\" height=\"" + Num(h) + "\" fill=\"" +
             kColors[s % std::size(kColors)] + "\"><title>" +
             EscapeHtml(c.categories[k] + " · " + c.series[s].name.In(lang) + ": " + Label(c, v)) +
             "</title></rect>\n";
    }
    out += CategoryLabel(kLeft + slot * (static_cast<double>(k) + 0.5), c.categories[k]);
  }
  return out + Close(c, lang, top);
}

std::string RenderLines(const Chart& c, Lang lang) {
  const double top = Top(c);
  std::string out = Open(c, lang, top);
  const std::size_t n = std::max<std::size_t>(c.categories.size(), 1);
  const double step = kPlotW / static_cast<double>(n);
  auto x_of = [&](std::size_t k) { return kLeft + step * (static_cast<double>(k) + 0.5); };
  for (std::size_t k = 0; k < c.categories.size(); ++k)
    out += CategoryLabel(x_of(k), c.categories[k]);
  for (std::size_t s = 0; s < c.series.size(); ++s) {
    const std::string color = kColors[s % std::size(kColors)];
    std::string points, marks;
    for (std::size_t k = 0; k < c.categories.size() && k < c.series[s].values.size(); ++k) {
      const double v = std::max(c.series[s].values[k], 0.0);
      const double y = kTop + kPlotH - kPlotH * std::min(v / top, 1.0);
      points += (points.empty() ? "" : " ") + Num(x_of(k)) + "," + Num(y);
      marks +=
          "<circle class=\"point\" data-value=\"" + Fixed(v, 4) + "\" cx=\"" + Num(x_of(k)) +
          "\" cy=\"" + Num(y) + "\" r=\"4\" fill=\"" + color + "\"><title>" +
          EscapeHtml(c.categories[k] + " · " + c.series[s].name.In(lang) + ": " + Label(c, v)) +
          "</title></circle>\n";
    }
    out += "<polyline class=\"line\" fill=\"none\" stroke=\"" + color +
           "\" stroke-width=\"3\" points=\"" + points + "\"/>\n" + marks;
  }
  return out + Close(c, lang, top);
}

}  // namespace csops::report
