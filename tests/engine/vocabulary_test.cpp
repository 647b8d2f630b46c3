// SPDX-License-Identifier: MIT
// The engine knows nothing of Kubernetes or of the models built on it (DESIGN.md, layers): no
// Kubernetes or serving vocabulary, and no include from another layer.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

TEST_CASE("the engine folder uses no Kubernetes vocabulary and includes no other layer", "[engine]") {
  const std::filesystem::path dir = std::filesystem::path(KUBEMIND_SOURCE_DIR) / "sim" / "engine";
  const std::regex words(R"(\b(pods?|gpus?|kube(?!mind)\w*|hpa|keda|knative|replicas?|https?|http2|grpc|envoy|deployments?|nodes?|clusters?)\b)",
                         std::regex::icase);
  const std::regex foreign_include(R"(#include\s+"(?!sim/engine/)[^"]*")");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    ++files;
    std::smatch m;
    INFO(entry.path().string());
    if (std::regex_search(s, m, words)) FAIL("found \"" << m.str() << "\"");
    if (std::regex_search(s, m, foreign_include)) FAIL("found " << m.str());
  }
  CHECK(files >= 5);
}
