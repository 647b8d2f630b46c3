// SPDX-License-Identifier: MIT
#include "sim/serve/continuous_batching_server.h"

#include <algorithm>

#include "sim/engine/check.h"

namespace kubemind::serve {

ContinuousBatchingServer::ContinuousBatchingServer(engine::Simulator& sim, traffic::RequestTable& requests,
                                                   const ContinuousBatchingConfig& config, uint32_t index,
                                                   TokenTimingObserver* observer)
    : ModelServer(index),
      sim_(sim),
      requests_(requests),
      config_(config),
      observer_(observer),
      preprocess_cpu_(engine::Duration::from_milliseconds(config.cpu.preprocess_cpu_ms)),
      postprocess_cpu_(engine::Duration::from_milliseconds(config.cpu.postprocess_cpu_ms)),
      cpu_per_token_(engine::Duration::from_milliseconds(config.cpu_per_output_token_ms)),
      waiting_(16),
      total_blocks_(config.kv_cache_tokens / config.block_size_tokens),
      free_blocks_(total_blocks_),
      cpu_(config.cpu.baseline_cores, sim.now()) {
  SIM_ASSERT(!config.step_time.empty(), "continuous batching needs a step-time curve");
  SIM_ASSERT(config.max_num_seqs >= 1 && config.max_num_batched_tokens >= 1 && config.block_size_tokens >= 1,
             "positive scheduler limits");
  SIM_ASSERT(config.prompt_tokens >= 1 && config.output_tokens >= 1, "at least one prompt and one output token");
  running_.reserve(static_cast<size_t>(config.max_num_seqs));
  scheduled_.reserve(static_cast<size_t>(config.max_num_seqs));
  finished_.reserve(static_cast<size_t>(config.max_num_seqs));
}

void ContinuousBatchingServer::waiting_grow() {
  std::vector<uint32_t> bigger(waiting_.size() * 2);
  for (size_t i = 0; i < waiting_size_; ++i) bigger[i] = waiting_[(waiting_head_ + i) & (waiting_.size() - 1)];
  waiting_.swap(bigger);
  waiting_head_ = 0;
}

void ContinuousBatchingServer::waiting_push_back(uint32_t s) {
  if (waiting_size_ == waiting_.size()) waiting_grow();
  waiting_[(waiting_head_ + waiting_size_) & (waiting_.size() - 1)] = s;
  ++waiting_size_;
}

void ContinuousBatchingServer::waiting_push_front(uint32_t s) {
  if (waiting_size_ == waiting_.size()) waiting_grow();
  waiting_head_ = (waiting_head_ + waiting_.size() - 1) & (waiting_.size() - 1);
  waiting_[waiting_head_] = s;
  ++waiting_size_;
}

uint32_t ContinuousBatchingServer::waiting_pop_front() {
  SIM_ASSERT(waiting_size_ > 0, "pop from an empty waiting queue");
  const uint32_t s = waiting_[waiting_head_];
  waiting_head_ = (waiting_head_ + 1) & (waiting_.size() - 1);
  --waiting_size_;
  return s;
}

uint32_t ContinuousBatchingServer::new_sequence(traffic::RequestId id) {
  uint32_t s;
  if (!free_sequences_.empty()) {
    s = free_sequences_.back();
    free_sequences_.pop_back();
  } else {
    s = static_cast<uint32_t>(sequences_.size());
    sequences_.emplace_back();
  }
  sequences_[s] = Sequence{};
  sequences_[s].request = id;
  return s;
}

bool ContinuousBatchingServer::try_allocate(Sequence& s, int64_t extra) {
  const int64_t more = blocks_for(s.computed + extra) - s.blocks;
  if (more > free_blocks_) return false;
  if (more > 0) {
    free_blocks_ -= more;
    s.blocks += more;
  }
  return true;
}

void ContinuousBatchingServer::free_kv(Sequence& s) {
  free_blocks_ += s.blocks;
  s.blocks = 0;
}

void ContinuousBatchingServer::on_request(traffic::RequestId id) {
  traffic::Request& r = requests_[id];
  r.arrived_at = sim_.now();
  r.server = index();
  ++received_;
  if (down_) {  // nothing listens any more: the connection is reset
    r.outcome = traffic::Outcome::kReset;
    r.pop_reply()->on_response(id);
    return;
  }
  cpu_.charge(preprocess_cpu_);
  // The last token is sampled, never cached: a sequence holds at most prompt + output - 1 tokens.
  if (blocks_for(config_.prompt_tokens + config_.output_tokens - 1) > total_blocks_) {
    ++rejected_;
    r.outcome = traffic::Outcome::kQueueFull;
    r.pop_reply()->on_response(id);
    return;
  }
  waiting_push_back(new_sequence(id));
  maybe_start_step();
  update_levels();
}

void ContinuousBatchingServer::update_levels() {
  const engine::SimTime now = sim_.now();
  waiting_level_.add(now, static_cast<int64_t>(waiting_size_) - waiting_level_.level());
  running_level_.add(now, static_cast<int64_t>(running_.size()) - running_level_.level());
  max_waiting_ = std::max(max_waiting_, static_cast<int64_t>(waiting_size_));
}

void ContinuousBatchingServer::shut_down() {
  if (down_) return;
  down_ = true;
  forget_idle_listener();
  if (stepping_) {
    sim_.cancel(step_event_);
    busy_.add(sim_.now(), -1);
    stepping_ = false;
  }
  // Collect first: answering may make a caller send again, which now meets down_.
  finished_.clear();
  for (const uint32_t id : running_) finished_.push_back(id);
  while (waiting_size_ > 0) finished_.push_back(waiting_pop_front());
  running_.clear();
  update_levels();
  for (const uint32_t id : finished_) {
    free_kv(sequences_[id]);
    free_sequences_.push_back(id);
    const traffic::RequestId request = sequences_[id].request;
    requests_[request].outcome = traffic::Outcome::kReset;
    requests_[request].pop_reply()->on_response(request);
  }
  finished_.clear();
}

void ContinuousBatchingServer::maybe_start_step() {
  if (stepping_) return;
  int64_t budget = config_.max_num_batched_tokens;
  int64_t tokens = 0;
  double context_tokens = 0;
  bool preempted = false;
  scheduled_.clear();
  // 1. Running sequences, oldest admission first.
  for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
    const uint32_t id = running_[i];
    Sequence& s = sequences_[id];
    const int64_t need = std::min(known_tokens(s) - s.computed, budget);
    bool ok = true;
    while (!try_allocate(s, need)) {
      const uint32_t victim = running_.back();  // FCFS: the most recently admitted
      running_.pop_back();
      Sequence& v = sequences_[victim];
      free_kv(v);
      v.computed = 0;
      waiting_push_front(victim);
      ++preemptions_;
      preempted = true;
      if (victim == id) {
        ok = false;
        break;
      }
    }
    if (!ok) break;
    s.scheduled = need;
    scheduled_.push_back(id);
    budget -= need;
    tokens += need;
    context_tokens += static_cast<double>(s.computed + need);
  }
  // 2. Waiting sequences, unless this step preempted.
  while (!preempted && waiting_size_ > 0 && budget > 0 &&
         running_.size() < static_cast<size_t>(config_.max_num_seqs)) {
    const uint32_t id = waiting_front();
    Sequence& s = sequences_[id];
    const int64_t need = std::min(known_tokens(s) - s.computed, budget);
    if (!try_allocate(s, need)) break;
    waiting_pop_front();
    running_.push_back(id);
    if (!s.admitted) {
      s.admitted = true;
      requests_[s.request].started_at = sim_.now();
    }
    s.scheduled = need;
    scheduled_.push_back(id);
    budget -= need;
    tokens += need;
    context_tokens += static_cast<double>(s.computed + need);
  }
  if (scheduled_.empty()) return;
  const double step_ms = config_.step_time.mean_ms(static_cast<int>(tokens)) +
                         config_.kv_read_ms_per_token * context_tokens;
  stepping_ = true;
  busy_.add(sim_.now(), +1);
  ++steps_;
  step_sequences_ += scheduled_.size();
  step_event_ =
      sim_.schedule_in<&ContinuousBatchingServer::on_step_done>(engine::Duration::from_milliseconds(step_ms), this);
}

void ContinuousBatchingServer::on_step_done(uint64_t) {
  const engine::SimTime now = sim_.now();
  busy_.add(now, -1);
  stepping_ = false;
  finished_.clear();
  for (const uint32_t id : scheduled_) {
    Sequence& s = sequences_[id];
    s.computed += s.scheduled;
    s.scheduled = 0;
    if (s.computed < known_tokens(s)) continue;  // a prompt chunk: no token yet
    ++s.generated;
    ++tokens_generated_;
    cpu_.charge(cpu_per_token_);
    if (s.generated == 1) s.first_token_at = now;
    if (s.generated == config_.output_tokens) finished_.push_back(id);
  }
  for (const uint32_t id : finished_) {
    running_.erase(std::find(running_.begin(), running_.end(), id));
    free_kv(sequences_[id]);
  }
  // The next step starts before anyone is answered, so that a request sent in reaction to an answer
  // joins the step after, as it would in a real engine loop.
  maybe_start_step();
  update_levels();
  for (const uint32_t id : finished_) {
    const Sequence& s = sequences_[id];
    const traffic::RequestId request = s.request;
    traffic::Request& r = requests_[request];
    const engine::Duration ttft = s.first_token_at - r.arrived_at;
    const engine::Duration tpot{config_.output_tokens > 1 ? (now - s.first_token_at).ns / (config_.output_tokens - 1)
                                                          : 0};
    free_sequences_.push_back(id);
    ++completed_;
    cpu_.charge(postprocess_cpu_);
    if (observer_ != nullptr) observer_->on_finished(request, ttft, tpot, now - r.arrived_at);
    r.outcome = traffic::Outcome::kOk;
    r.pop_reply()->on_response(request);
  }
  tell_if_idle();
}

}  // namespace kubemind::serve
