#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "momenta/error.h"
#include "momenta/parse.h"

using namespace momenta;

TEST(Parse, NumberLists) {
  EXPECT_EQ(parse_number_list("0.9,0.999", "betas"), (std::vector<double>{0.9, 0.999}));
  EXPECT_EQ(parse_number_list("-1.5", "x0"), (std::vector<double>{-1.5}));
  EXPECT_EQ(parse_number_list("1, 2", "x0"), (std::vector<double>{1, 2}));  // strtod skips leading blanks
  for (const char* bad : {"", "0.9,", ",1", "1,,2", "abc", "1x"}) {
    try {
      parse_number_list(bad, "betas");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("betas='"), std::string::npos) << e.what();
    }
  }
}

// Numbers that travel as text (flags a command builds, configs, metadata) must come back as the
// same double: std::to_string made --lr 1e-7 into "0.000000" and 1.5e-6 into "0.000002".
TEST(Parse, FormatNumberRoundTripsExactly) {
  EXPECT_EQ(format_number(1e-7), "1e-07");
  EXPECT_EQ(format_number(1.5e-6), "1.5e-06");
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(-2.0), "-2");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_number(std::nan("")), "nan");
  std::vector<double> values = {1e-7, 1.5e-6, 0.1, 1.0 / 3.0, 5e-324, 2.2250738585072014e-308,
                                std::numeric_limits<double>::max(), -0.0, 123456789012345678.0};
  std::mt19937_64 gen(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t bits = gen();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
  }
  for (double v : values) {
    const std::string text = format_number(v);
    const double back = parse_number_list(text, "v").at(0);
    EXPECT_EQ(std::memcmp(&back, &v, sizeof v), 0) << text;
  }
}
