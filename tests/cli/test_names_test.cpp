// SPDX-License-Identifier: MIT
// CTest runs each Catch test case by name (catch_discover_tests), and CMake splits a name at ';':
// a test case whose name holds one is registered under a truncated name that matches nothing, and
// Catch then "passes" without running it. A '[' or ']' opens or closes a CMake bracket, inside which
// ';' does not split: an unbalanced one merges the file's following test cases into one entry that
// matches nothing. No test name may hold a ';', '[' or ']'.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

TEST_CASE("no test case name holds a semicolon or a square bracket, which would keep CTest from running it", "[cli][meta]") {
  const std::regex test_case(R"(TEST_CASE\(\s*"([^"]*)\")");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(KUBEMIND_SOURCE_DIR) + "/tests")) {
    if (entry.path().extension() != ".cpp") continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    for (std::sregex_iterator it(source.begin(), source.end(), test_case), end; it != end; ++it) {
      INFO(entry.path().string() << ": " << (*it)[1].str());
      CHECK((*it)[1].str().find_first_of(";[]") == std::string::npos);
    }
  }
  CHECK(files > 20);
}
