#include <gtest/gtest.h>

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
