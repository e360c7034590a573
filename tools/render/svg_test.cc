#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "render/svg.h"
#include "render/svg_axis.h"
#include "render/svg_bar_chart.h"
#include "render/svg_line_plot.h"

namespace cacheopt::experiment {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Svg, EscapesXml) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(XmlEscape("plain"), "plain");
}

TEST(Svg, FormatsNumbers) {
  EXPECT_EQ(Coord(12), "12");
  EXPECT_EQ(Coord(12.34), "12.3");
  EXPECT_EQ(Coord(-0.01), "0");
  EXPECT_EQ(Label(0.05), "0.05");
  EXPECT_EQ(Label(2.5), "2.5");
  EXPECT_EQ(Label(1200), "1200");
  EXPECT_EQ(Label(25000), "25000");
  EXPECT_EQ(Label(0), "0");
  EXPECT_EQ(Label(3.14159), "3.142");
  EXPECT_EQ(Label(NAN), "n/a");
}

TEST(SvgAxis, LinearCoversDataWithNiceTicks) {
  Axis a = LinearAxis(0.3, 9.2);
  EXPECT_LE(a.lo, 0.3);
  EXPECT_GE(a.hi, 9.2);
  EXPECT_EQ(a.lo, 0);
  EXPECT_EQ(a.hi, 10);
  EXPECT_EQ(a.ticks, (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_DOUBLE_EQ(a.Frac(5), 0.5);
  Axis b = LinearAxis(0, 1);
  EXPECT_EQ(b.ticks.front(), 0);
  EXPECT_DOUBLE_EQ(b.ticks.back(), 1);
  Axis c = LinearAxis(-3, -1);
  EXPECT_LE(c.lo, -3);
  EXPECT_GE(c.hi, -1);
}

TEST(SvgAxis, LinearDegenerateRangeWidens) {
  Axis a = LinearAxis(5, 5);
  EXPECT_LT(a.lo, 5);
  EXPECT_GT(a.hi, 5);
  Axis z = LinearAxis(0, 0);
  EXPECT_LT(z.lo, z.hi);
  Axis r = LinearAxis(9, 1);  // reversed
  EXPECT_LE(r.lo, 1);
  EXPECT_GE(r.hi, 9);
}

TEST(SvgAxis, LogUsesDecades) {
  Axis a = LogAxis(1.5, 9000);
  EXPECT_TRUE(a.log);
  EXPECT_EQ(a.lo, 1);
  EXPECT_EQ(a.hi, 10000);
  EXPECT_EQ(a.ticks, (std::vector<double>{1, 10, 100, 1000, 10000}));
  EXPECT_DOUBLE_EQ(a.Frac(100), 0.5);
  EXPECT_EQ(a.Frac(-1), 0);
  Axis e = LogAxis(3, 4200);  // ends on 1-2-5 values, labelled
  EXPECT_EQ(e.lo, 2);
  EXPECT_EQ(e.hi, 5000);
  EXPECT_EQ(e.ticks, (std::vector<double>{2, 10, 100, 1000, 5000}));
  Axis b = LogAxis(20, 80);  // within two decades: every 1-2-5 tick
  EXPECT_EQ(b.lo, 20);
  EXPECT_EQ(b.hi, 100);
  EXPECT_EQ(b.ticks, (std::vector<double>{20, 50, 100}));
  Axis f = LogAxis(0.5, 4);
  EXPECT_DOUBLE_EQ(f.lo, 0.5);
  EXPECT_EQ(f.hi, 5);
  EXPECT_EQ(f.ticks.size(), 4u);  // 0.5, 1, 2, 5
  Axis g = LogAxis(10, 10);  // exactly on a tick
  EXPECT_EQ(g.lo, 10);
  EXPECT_EQ(g.hi, 20);
  Axis c = LogAxis(0, 50);  // a non-positive minimum
  EXPECT_GT(c.lo, 0);
}

TEST(SvgAxis, Categories) {
  Axis a = CategoryAxis(4);
  EXPECT_EQ(a.ticks.size(), 4u);
  EXPECT_DOUBLE_EQ(a.Frac(0), 0.125);
  EXPECT_DOUBLE_EQ(a.Frac(3), 0.875);
}

TEST(SvgLinePlot, HasTitleAxesLegendAndPoints) {
  LinePlot p;
  p.title = "p99 TTFT <vs> load";
  p.x_label = "arrival rate (req/s)";
  p.y_label = "p99 TTFT (ms)";
  p.y_log = true;
  p.h_lines = {100};
  Series a{"vllm & co", {1, 2, 3}, {10, 100, 1000}, {5, 50, 500}, {20, 200, 2000}};
  Series b{"sarathi", {1, 2, 3}, {20, NAN, 2000}, {}, {}};
  std::string svg = RenderLinePlot(p, {a, b});
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("</svg>"));
  EXPECT_THAT(svg, HasSubstr("p99 TTFT &lt;vs&gt; load"));
  EXPECT_THAT(svg, Not(HasSubstr("<vs>")));
  EXPECT_THAT(svg, HasSubstr(">arrival rate (req/s)<"));
  EXPECT_THAT(svg, HasSubstr(">p99 TTFT (ms)<"));
  EXPECT_THAT(svg, HasSubstr(">vllm &amp; co<"));
  EXPECT_THAT(svg, HasSubstr(">sarathi<"));
  EXPECT_THAT(svg, HasSubstr(">1000<"));  // a decade tick
  EXPECT_THAT(svg, HasSubstr("<polyline"));
  EXPECT_THAT(svg, HasSubstr("<title>vllm &amp; co: 2, 100</title>"));
  EXPECT_THAT(svg, Not(HasSubstr("sarathi: 2,")));  // NaN: no point
  EXPECT_THAT(svg, HasSubstr("class=\"r\""));       // the reference line
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
}

TEST(SvgLinePlot, EmptyAndCategorical) {
  LinePlot p;
  p.title = "nothing";
  std::string svg = RenderLinePlot(p, {Series{"a", {1}, {NAN}, {}, {}}});
  EXPECT_THAT(svg, HasSubstr("no data"));
  p.x_categories = {"hoeffding", "conformal"};
  svg = RenderLinePlot(p, {Series{"a", {0, 1}, {0.5, 0.7}, {}, {}}});
  EXPECT_THAT(svg, HasSubstr(">hoeffding<"));
  EXPECT_THAT(svg, HasSubstr("<title>a: conformal, 0.7</title>"));
}

TEST(SvgLinePlot, FixedRangeClampsToFrame) {
  LinePlot p;
  p.y_min = 0;
  p.y_max = 1;
  p.width = 400;
  p.height = 300;
  std::string svg = RenderLinePlot(p, {Series{"a", {0, 1}, {0.5, 1.5}, {}, {}}});
  // The frame's top is at y = 28: the point at 1.5 is drawn on it.
  EXPECT_THAT(svg, HasSubstr("cy=\"28\""));
}

TEST(SvgBarChart, BarsWhiskersNotesAndLegend) {
  BarChart c;
  c.title = "Capacity";
  c.value_label = "capacity (req/s)";
  c.series = {"token-level", "stall-aware"};
  BarGroup g1{"vllm", {2.8, 2.5}, {2.6, 2.4}, {3.0, 2.7}, {"[2.6..3]", ""}};
  BarGroup g2{"<b>", {NAN, 1.0}, {}, {}, {"(failed)", ""}};
  std::string svg = RenderBarChart(c, {g1, g2});
  EXPECT_THAT(svg, HasSubstr(">Capacity<"));
  EXPECT_THAT(svg, HasSubstr(">capacity (req/s)<"));
  EXPECT_THAT(svg, HasSubstr(">token-level<"));
  EXPECT_THAT(svg, HasSubstr(">stall-aware<"));
  EXPECT_THAT(svg, HasSubstr("&lt;b&gt;"));
  EXPECT_THAT(svg, HasSubstr("class=\"w\""));  // whiskers
  EXPECT_THAT(svg, HasSubstr("vllm / token-level: 2.8 [2.6..3]"));
  EXPECT_THAT(svg, HasSubstr("n/a (failed)"));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  // One series: no legend.
  BarChart one;
  one.title = "x";
  one.series = {"only"};
  EXPECT_THAT(RenderBarChart(one, {BarGroup{"a", {1}, {}, {}, {}}}), Not(HasSubstr(">only<")));
}

}  // namespace
}  // namespace cacheopt::experiment
