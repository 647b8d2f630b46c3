// SPDX-License-Identifier: MIT
#pragma once
// Running the real `kubemind` binary (the compile definition KUBEMIND_CLI) as a user would, with
// stdout and stderr captured, for the tests under tests/cli/.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace kubemind::test {

struct CliResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

/// `text` as one word for /bin/sh.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs `kubemind <args>` (stdin from `stdin_file` if not empty), stdout and stderr captured to
/// files in `dir`.
inline CliResult run_cli(const TempDir& dir, const std::vector<std::string>& args, const std::string& stdin_file = "") {
  const auto out = dir.path() / "stdout.txt";
  const auto err = dir.path() / "stderr.txt";
  std::string command = shell_quote(KUBEMIND_CLI);
  for (const auto& arg : args) command.append(" ").append(shell_quote(arg));
  if (!stdin_file.empty()) command.append(" <").append(shell_quote(stdin_file));
  command.append(" >").append(shell_quote(out.string())).append(" 2>").append(shell_quote(err.string()));
  const int status = std::system(command.c_str());
  CliResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

}  // namespace kubemind::test
