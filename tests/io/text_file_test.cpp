#include "momenta/io/text_file.h"

#include <gtest/gtest.h>

#include <string>

#include "momenta/error.h"

using namespace momenta;

// /dev/full takes the open and fails the write with ENOSPC; a short text only reaches it at the
// flush in close(), which the previous writers did not check.
TEST(TextFile, AFullDeviceIsAnIOErrorNamingThePath) {
  try {
    io::write_text_file("/dev/full", "a short text that stays in the buffer\n");
    FAIL() << "writing to /dev/full succeeded";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("could not write '/dev/full': No space left on device"), std::string::npos)
        << e.what();
  }
  io::TextFileWriter w("/dev/full");
  w.write(std::string(100, 'x'));
  EXPECT_THROW(w.close(), IOError);
}

TEST(TextFile, AMissingDirectoryIsAnIOError) {
  EXPECT_THROW(io::write_text_file("/nonexistent-dir/x.txt", "x"), IOError);
}
