#include "base/prometheus.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <limits>
#include <span>
#include <string>

namespace meshgate::base {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(PrometheusWriter, WritesCounterGaugeAndHistogramFamilies) {
  LatencyHistogram latency;
  latency.observe(microseconds(500));  // exactly on the bound 0.0005
  latency.observe(milliseconds(3));    // in (0.0025, 0.005]
  latency.observe(seconds(1));         // exactly on the bound 1
  latency.observe(seconds(11));        // above the last bound: +Inf only

  PrometheusWriter writer;
  writer.family("meshgate_accepted_total", PrometheusWriter::Type::kCounter, "Accepted.");
  writer.sample("meshgate_accepted_total", {}, uint64_t{18446744073709551615U});
  writer.family("meshgate_closed_total", PrometheusWriter::Type::kCounter, "Closed by reason.");
  writer.sample("meshgate_closed_total", {{"reason", "idle"}, {"listener", "passthrough"}},
                uint64_t{7});
  writer.family("meshgate_load", PrometheusWriter::Type::kGauge, "A gauge.");
  const std::array<Label, 1> pool{{{"pool", "a"}}};
  writer.sample("meshgate_load", pool, 0.1 + 0.2);
  writer.family("meshgate_connect_seconds", PrometheusWriter::Type::kHistogram, "Connect time.");
  const std::array<Label, 1> cluster{{{"cluster", "c1"}}};
  writer.histogram("meshgate_connect_seconds", cluster, latency.snapshot());

  EXPECT_EQ(writer.text(),
            "# HELP meshgate_accepted_total Accepted.\n"
            "# TYPE meshgate_accepted_total counter\n"
            "meshgate_accepted_total 18446744073709551615\n"
            "# HELP meshgate_closed_total Closed by reason.\n"
            "# TYPE meshgate_closed_total counter\n"
            "meshgate_closed_total{reason=\"idle\",listener=\"passthrough\"} 7\n"
            "# HELP meshgate_load A gauge.\n"
            "# TYPE meshgate_load gauge\n"
            "meshgate_load{pool=\"a\"} 0.30000000000000004\n"
            "# HELP meshgate_connect_seconds Connect time.\n"
            "# TYPE meshgate_connect_seconds histogram\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"5e-05\"} 0\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.0001\"} 0\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.00025\"} 0\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.0005\"} 1\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.001\"} 1\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.0025\"} 1\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.005\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.01\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.025\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.05\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.1\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.25\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"0.5\"} 2\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"1\"} 3\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"2.5\"} 3\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"5\"} 3\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"10\"} 3\n"
            "meshgate_connect_seconds_bucket{cluster=\"c1\",le=\"+Inf\"} 4\n"
            "meshgate_connect_seconds_sum{cluster=\"c1\"} 12.0035\n"
            "meshgate_connect_seconds_count{cluster=\"c1\"} 4\n");
}

TEST(PrometheusWriter, HistogramWithoutLabelsPutsLeAlone) {
  PrometheusWriter writer;
  writer.histogram("h", {}, HistogramSnapshot{});
  const std::string text = writer.take();
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "h_bucket{le=\"5e-05\"} 0\n");
  EXPECT_NE(text.find("\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"), std::string::npos);
}

TEST(PrometheusWriter, EscapesHostileLabelValuesAndHelp) {
  PrometheusWriter writer;
  writer.family("m", PrometheusWriter::Type::kGauge, "back\\slash \"q\"\nline");
  writer.sample("m", {{"v", "a\"b\\c\nd}"}, {"w", "\\\""}}, uint64_t{1});
  EXPECT_EQ(writer.text(),
            "# HELP m back\\\\slash \"q\"\\nline\n"
            "# TYPE m gauge\n"
            "m{v=\"a\\\"b\\\\c\\nd}\",w=\"\\\\\\\"\"} 1\n");
}

TEST(PrometheusWriter, WritesSpecialDoubles) {
  PrometheusWriter writer;
  const std::span<const Label> none;
  writer.sample("a", none, std::numeric_limits<double>::infinity());
  writer.sample("b", none, -std::numeric_limits<double>::infinity());
  writer.sample("c", none, std::numeric_limits<double>::quiet_NaN());
  writer.sample("d", none, 1.0);
  writer.sample("e", none, 1e-7);
  EXPECT_EQ(writer.text(), "a +Inf\nb -Inf\nc NaN\nd 1\ne 1e-07\n");
}

TEST(LatencyHistogram, BoundsAreInclusiveAndNegativeCountsAsZero) {
  LatencyHistogram latency;
  latency.observe(nanoseconds(-5));
  latency.observe(nanoseconds(50'000));  // the first bound, 50 µs
  latency.observe(nanoseconds(50'001));
  latency.observe(seconds(10));
  latency.observe(nanoseconds(10'000'000'001));
  const HistogramSnapshot snap = latency.snapshot();
  EXPECT_EQ(snap.buckets[0], 2U);
  EXPECT_EQ(snap.buckets[1], 1U);
  EXPECT_EQ(snap.buckets[kLatencyBounds.size() - 1], 1U);
  EXPECT_EQ(snap.buckets[kLatencyBounds.size()], 1U);
  EXPECT_EQ(snap.count, 5U);
  EXPECT_EQ(snap.sum_nanoseconds, 50'000U + 50'001U + 10'000'000'000U + 10'000'000'001U);
}

TEST(HistogramSnapshot, PlusEqualsAddsEveryField) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.observe(milliseconds(2));
  b.observe(milliseconds(2));
  b.observe(seconds(20));
  HistogramSnapshot total = a.snapshot();
  total += b.snapshot();
  EXPECT_EQ(total.buckets[5], 2U);  // (0.001, 0.0025]
  EXPECT_EQ(total.buckets[kLatencyBounds.size()], 1U);
  EXPECT_EQ(total.count, 3U);
  EXPECT_EQ(total.sum_nanoseconds, 20'004'000'000U);
  uint64_t in_buckets = 0;
  for (const uint64_t n : total.buckets)
    in_buckets += n;
  EXPECT_EQ(in_buckets, total.count);
}

}  // namespace
}  // namespace meshgate::base
