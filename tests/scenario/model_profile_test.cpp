// SPDX-License-Identifier: MIT
// The shipped models/ profiles: each loads, is named after its file, and starts at batch 1.

#include "sim/scenario/model_profile.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sim/scenario/scenario_error.h"
#include "tests/support/temp_dir.h"

namespace {

using kubemind::scenario::load_model_profile;
using kubemind::scenario::model_profile_exists;
using kubemind::scenario::model_profile_names;

const std::string kModelsDir = KUBEMIND_SOURCE_DIR "/models";

}  // namespace

TEST_CASE("the models folder lists its profiles sorted by name", "[scenario]") {
  const auto names = model_profile_names(kModelsDir);
  for (const char* name : {"bert-base-a100", "bert-base-t4", "resnet50-a100", "resnet50-t4"}) {
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(model_profile_names("/nonexistent").empty());
}

TEST_CASE("every shipped profile loads, is named after its file and starts at batch 1", "[scenario]") {
  for (const auto& name : model_profile_names(kModelsDir)) {
    INFO(name);
    CHECK(model_profile_exists(kModelsDir, name));
    const auto profile = load_model_profile(kModelsDir, name);
    CHECK(profile.name == name);
    CHECK_FALSE(profile.model.empty());
    CHECK_FALSE(profile.gpu.empty());
    CHECK_FALSE(profile.precision.empty());
    CHECK_FALSE(profile.source.empty());
    REQUIRE_FALSE(profile.latency_ms.empty());
    CHECK(profile.latency_ms.front().batch == 1);
  }
}

TEST_CASE("the ResNet-50 profiles hold NVIDIA's Triton table, avg and P99", "[scenario]") {
  const auto t4 = load_model_profile(kModelsDir, "resnet50-t4");
  CHECK(t4.gpu == "NVIDIA T4 16GB");
  REQUIRE(t4.latency_ms.size() == 8);
  CHECK(t4.latency_ms[0].batch == 1);
  CHECK(t4.latency_ms[0].mean_ms == 3.00);
  CHECK(t4.latency_ms[0].p99_ms == 3.19);
  CHECK(t4.latency_ms[7].batch == 128);
  CHECK(t4.latency_ms[7].mean_ms == 100.16);
  const auto a100 = load_model_profile(kModelsDir, "resnet50-a100");
  CHECK(a100.latency_ms[0].mean_ms == 2.13);
  CHECK(a100.latency_ms[0].p99_ms == 2.27);
  CHECK(a100.latency_ms[7].p99_ms == 53.67);
}

TEST_CASE("the BERT-base profiles hold TensorRT's s128 FP16 averages, without P99", "[scenario]") {
  const auto t4 = load_model_profile(kModelsDir, "bert-base-t4");
  REQUIRE(t4.latency_ms.size() == 10);
  CHECK(t4.latency_ms[0].mean_ms == 1.76);
  CHECK(t4.latency_ms[0].p99_ms == 0.0);
  CHECK(t4.latency_ms[9].batch == 128);
  CHECK(t4.latency_ms[9].mean_ms == 131.64);
  const auto a100 = load_model_profile(kModelsDir, "bert-base-a100");
  CHECK(a100.latency_ms[0].mean_ms == 0.78);
  CHECK(a100.latency_ms[9].mean_ms == 17.44);
}

TEST_CASE("a profile name cannot reach outside the models folder", "[scenario]") {
  CHECK_FALSE(model_profile_exists(kModelsDir, "../models/resnet50-t4"));
  CHECK_FALSE(model_profile_exists(kModelsDir, ""));
  CHECK_THROWS_AS(load_model_profile(kModelsDir, "../models/resnet50-t4"), kubemind::scenario::ScenarioError);
}

TEST_CASE("a profile that is missing fields lists each one", "[scenario]") {
  kubemind::test::TempDir dir;
  dir.write("empty.json", "{}");
  try {
    load_model_profile(dir.path().string(), "empty");
    FAIL("accepted");
  } catch (const kubemind::scenario::ScenarioError& error) {
    CHECK(error.source() == (dir.path() / "empty.json").string());
    std::vector<std::string> pointers;
    for (const auto& issue : error.issues()) pointers.push_back(issue.pointer);
    CHECK(pointers == std::vector<std::string>{"/gpu", "/kubemind_model", "/latency_ms", "/model", "/name",
                                               "/precision", "/source"});
  }
}
