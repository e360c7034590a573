#include "calibration/csv_table.h"

#include <gtest/gtest.h>

#include "calibration/test_util.h"

namespace cacheopt {
namespace {

TEST(CsvTableTest, ParsesHeaderAndTypedFields) {
  Result<CsvTable> t = CsvTable::Parse(",a,b,flag\n0,1.5,2e-3,True\n1,-4,7,False\n", "mem.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows(), 2u);
  EXPECT_EQ(*t->Column("b"), 2);
  EXPECT_DOUBLE_EQ(*t->Number(0, *t->Column("a")), 1.5);
  EXPECT_DOUBLE_EQ(*t->Number(0, 2), 2e-3);
  EXPECT_TRUE(*t->Bool(0, 3));
  EXPECT_FALSE(*t->Bool(1, 3));
  EXPECT_EQ(t->line(1), 3);
}

TEST(CsvTableTest, MalformedFieldNamesFileLineAndColumn) {
  const std::string dir = testing::ScratchDir("csv_bad_field");
  const std::string path = dir + "/mlp.csv";
  testing::WriteFile(path, "num_tokens,time_stats.add.median\n8,0.01\n16,fast\n");
  Result<CsvTable> t = CsvTable::Read(path);
  ASSERT_TRUE(t.ok()) << t.status().message();
  Result<double> v = t->Number(1, 1);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), path + ":3: field 'time_stats.add.median': not a number: 'fast'");
  EXPECT_TRUE(t->Number(0, 0).ok());
}

TEST(CsvTableTest, RaggedRowAndMissingColumnAreErrors) {
  Result<CsvTable> ragged = CsvTable::Parse("a,b\n1,2\n3\n", "r.csv");
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("r.csv:3:"), std::string::npos);
  Result<CsvTable> ok = CsvTable::Parse("a,b\n1,2\n", "r.csv");
  ASSERT_TRUE(ok.ok());
  Result<int> col = ok->Column("size");
  ASSERT_FALSE(col.ok());
  EXPECT_NE(col.status().message().find("no column 'size'"), std::string::npos);
  EXPECT_FALSE(CsvTable::Parse("", "empty.csv").ok());
  EXPECT_TRUE(ok->Number(0, 0).ok());
}

TEST(CsvTableTest, EmptyAndNonFiniteNumbersAreErrors) {
  Result<CsvTable> t = CsvTable::Parse("a,b,c\n,nan,maybe\n", "x.csv");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->Number(0, 0).status().message().find("field 'a': empty"), std::string::npos);
  EXPECT_FALSE(t->Number(0, 1).ok());
  EXPECT_NE(t->Bool(0, 2).status().message().find("not a boolean"), std::string::npos);
}

}  // namespace
}  // namespace cacheopt
