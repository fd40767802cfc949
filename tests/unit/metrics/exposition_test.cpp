// The Prometheus text exposition format: HELP and TYPE lines before a
// family's samples, label values and HELP text escaped, names checked.
#include <gtest/gtest.h>

#include "consumers/metrics/exposition.hpp"

namespace lf::metrics {
namespace {

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
  EXPECT_EQ(escape_label_value("C:\\dir"), "C:\\\\dir");
  EXPECT_EQ(escape_label_value("two\nlines"), "two\\nlines");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");
  EXPECT_EQ(escape_label_value("tab\tstays, so does ünïcode"), "tab\tstays, so does ünïcode");
}

TEST(Exposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("a \"quoted\" word"), "a \"quoted\" word");
  EXPECT_EQ(escape_help("back\\slash\nnext"), "back\\\\slash\\nnext");
}

TEST(Exposition, FamiliesHaveHelpAndTypeBeforeTheirSamples) {
  Exposition out;
  out.family("ledgerflow_projection_lag", MetricType::gauge, "Records yet to apply");
  out.sample({{"projection", "credit_balances"}, {"partition", "0"}}, 12);
  out.sample({{"projection", "we\"ird\\name\n"}, {"partition", "1"}}, 0);
  out.family("ledgerflow_engine_commands_total", MetricType::counter, "Commands\ntaken up");
  out.sample(-3);
  out.sample(9'007'199'254'740'993);
  EXPECT_EQ(out.text(),
            "# HELP ledgerflow_projection_lag Records yet to apply\n"
            "# TYPE ledgerflow_projection_lag gauge\n"
            "ledgerflow_projection_lag{projection=\"credit_balances\",partition=\"0\"} 12\n"
            "ledgerflow_projection_lag{projection=\"we\\\"ird\\\\name\\n\",partition=\"1\"} 0\n"
            "# HELP ledgerflow_engine_commands_total Commands\\ntaken up\n"
            "# TYPE ledgerflow_engine_commands_total counter\n"
            "ledgerflow_engine_commands_total -3\n"
            "ledgerflow_engine_commands_total 9007199254740993\n");
}

TEST(Exposition, NamesFollowThePrometheusGrammar) {
  EXPECT_TRUE(valid_metric_name("ledgerflow_projection_lag"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));
  EXPECT_TRUE(valid_metric_name("_x9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("has-dash"));
  EXPECT_FALSE(valid_metric_name("has space"));
  EXPECT_TRUE(valid_label_name("partition"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  EXPECT_FALSE(valid_label_name("0th"));
}

TEST(ExpositionDeathTest, ACounterMustEndInTotalAndAFamilyAppearsOnce) {
  EXPECT_DEATH(
      {
        Exposition out;
        out.family("ledgerflow_batches", MetricType::counter, "no suffix");
      },
      "_total");
  EXPECT_DEATH(
      {
        Exposition out;
        out.family("ledgerflow_lag", MetricType::gauge, "once");
        out.family("ledgerflow_lag", MetricType::gauge, "twice");
      },
      "appears once");
  EXPECT_DEATH(
      {
        Exposition out;
        out.sample(1);
      },
      "follows its family");
}

}  // namespace
}  // namespace lf::metrics
