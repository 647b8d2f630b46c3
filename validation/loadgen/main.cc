// SPDX-License-Identifier: MIT
// kmval_loadgen: the testbed's gRPC load generator (issue 8).
// - Closed loop (default): --channels C gRPC channels, each its own HTTP/2 connection (a local
//   subchannel pool per channel, so channels never share a connection), x --streams S callers per
//   channel; each caller sends its next Infer as soon as (or --think-ms exponential mean after) the
//   previous answer arrives, as ghz --connections C --concurrency C*S does.
// - Open loop: --rate-rps R Poisson arrivals (exponential gaps from std::mt19937_64 seeded by --seed),
//   spread over the channels in turn; arrivals never wait for answers.
// Every call is recorded to --csv (send_s from the run start, latency_ms, pod, status). The summary
// (--summary) has the key names of kubemind's report: sli.requests, sli.latency_ms.{mean,p50,p90,p95,
// p99,p999,max}, sli.throughput_rps, pods[].{name,requests,share}. Measured calls: sent in
// [--warmup-s, --duration-s) and answered; percentiles interpolate linearly between order statistics.
// After --duration-s no new call is sent; calls in flight get --drain-s to finish.
// --start-file FILE: at the run start (t = 0 of send_s), FILE gets that instant as CLOCK_MONOTONIC
// seconds (steady_clock on Linux), so another process can act at a time relative to the load
// (local/endpoints_controller.py's scale-out at t = 20 s). Written to FILE.tmp, then renamed.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "inference.grpc.pb.h"

namespace kv = kubemind::validation;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string target = "127.0.0.1:50051";
  int channels = 1;
  int streams = 1;
  double think_ms = 0.0;
  double rate_rps = 0.0;
  double duration_s = 10.0;
  double warmup_s = 1.0;
  double drain_s = 30.0;
  uint64_t seed = 1;
  std::string csv;
  std::string summary;
  std::string name = "loadgen";
  std::string start_file;
  uint32_t tokens = 0;  // > 0: call Generate for this many tokens instead of Infer
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "kmval_loadgen: %s\nusage: kmval_loadgen --target HOST:PORT [--channels C] [--streams S]\n"
               "  [--think-ms X] | [--rate-rps R --seed N]  [--duration-s X] [--warmup-s X] [--drain-s X]\n"
               "  [--csv FILE] [--summary FILE.json] [--name NAME] [--tokens N (Generate, N tokens per call)]\n"
               "  [--start-file FILE (CLOCK_MONOTONIC seconds of t = 0)]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--target") o.target = v;
    else if (a == "--channels") o.channels = std::stoi(v);
    else if (a == "--streams") o.streams = std::stoi(v);
    else if (a == "--think-ms") o.think_ms = std::stod(v);
    else if (a == "--rate-rps") o.rate_rps = std::stod(v);
    else if (a == "--duration-s") o.duration_s = std::stod(v);
    else if (a == "--warmup-s") o.warmup_s = std::stod(v);
    else if (a == "--drain-s") o.drain_s = std::stod(v);
    else if (a == "--seed") o.seed = std::stoull(v);
    else if (a == "--csv") o.csv = v;
    else if (a == "--summary") o.summary = v;
    else if (a == "--name") o.name = v;
    else if (a == "--start-file") o.start_file = v;
    else if (a == "--tokens") o.tokens = static_cast<uint32_t>(std::stoul(v));
    else usage(("unknown option " + a).c_str());
  }
  if (o.channels < 1 || o.streams < 1 || o.duration_s <= 0 || o.warmup_s < 0 || o.warmup_s >= o.duration_s) {
    usage("need channels, streams >= 1 and 0 <= warmup < duration");
  }
  return o;
}

struct Record {
  double send_s = 0.0;
  double latency_ms = 0.0;  // Generate: to the last token
  std::string pod;
  int status = 0;
  double ttft_ms = 0.0;     // Generate: to the first token
  uint32_t tokens = 0;      // Generate: tokens received
};

class Run;

struct Call {
  grpc::ClientContext ctx;
  kv::InferRequest req;
  kv::InferReply reply;
  Clock::time_point sent;
  int caller = -1;  // closed loop: which caller; -1 open loop
};

class Run {
 public:
  explicit Run(const Options& o) : o_(o), rng_(o.seed) {
    for (int c = 0; c < o.channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
      args.SetInt("kmval.channel_index", c);                // distinct args: never a shared channel
      auto ch = grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args);
      if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
        std::fprintf(stderr, "kmval_loadgen: channel %d cannot connect to %s\n", c, o.target.c_str());
        std::exit(1);
      }
      stubs_.push_back(kv::Inference::NewStub(ch));
      channels_.push_back(std::move(ch));
    }
    records_.reserve(1 << 20);
  }

  void go() {
    start_ = Clock::now();
    end_ = start_ + std::chrono::nanoseconds(static_cast<int64_t>(o_.duration_s * 1e9));
    if (!o_.start_file.empty()) write_start_file();
    if (o_.rate_rps > 0) {
      open_loop();
    } else {
      for (int i = 0; i < o_.channels * o_.streams; ++i) send(i / o_.streams, i);
      std::this_thread::sleep_until(end_);
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait_until(lock, Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o_.drain_s * 1000)),
                        [this] { return outstanding_ == 0; });
    if (outstanding_ != 0) {
      std::fprintf(stderr, "kmval_loadgen: %lld calls still in flight after the drain\n", static_cast<long long>(outstanding_));
    }
  }

  /// t = 0 as CLOCK_MONOTONIC seconds (libstdc++'s steady_clock), renamed into place whole.
  void write_start_file() const {
    const double t0 = std::chrono::duration<double>(start_.time_since_epoch()).count();
    const std::string tmp = o_.start_file + ".tmp";
    {
      std::ofstream f(tmp);
      char text[64];
      std::snprintf(text, sizeof(text), "%.9f\n", t0);
      f << text;
    }
    if (std::rename(tmp.c_str(), o_.start_file.c_str()) != 0) {
      std::fprintf(stderr, "kmval_loadgen: cannot write %s\n", o_.start_file.c_str());
    }
  }

  std::vector<Record> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  int64_t unfinished() {
    std::lock_guard<std::mutex> lock(mu_);
    return outstanding_;
  }

 private:
  void open_loop() {
    std::exponential_distribution<double> gap(o_.rate_rps);
    Clock::time_point t = start_;
    int next_channel = 0;
    for (;;) {
      t += std::chrono::nanoseconds(static_cast<int64_t>(gap(rng_) * 1e9));
      if (t >= end_) break;
      std::this_thread::sleep_until(t);
      send(next_channel, -1, t);
      next_channel = (next_channel + 1) % o_.channels;
    }
  }

  /// `fresh`: a new outstanding caller or arrival (a closed-loop caller's next call is not fresh: it
  /// stays outstanding while it thinks, so the drain never ends under a sleeping caller).
  void send(int channel, int caller, Clock::time_point intended = Clock::time_point{}, bool fresh = true);

 private:
  void send_infer(int channel, int caller, Clock::time_point intended, bool fresh) {
    auto* call = new Call;
    call->caller = caller;
    call->req.set_id(next_id_.fetch_add(1));
    call->req.set_payload(std::string(64, 'x'));
    // Open loop: latency counts from the scheduled arrival (no coordinated omission).
    call->sent = intended == Clock::time_point{} ? Clock::now() : intended;
    if (fresh) {
      std::lock_guard<std::mutex> lock(mu_);
      ++outstanding_;
    }
    stubs_[static_cast<size_t>(channel)]->async()->Infer(&call->ctx, &call->req, &call->reply,
                                                         [this, call, channel](grpc::Status s) { on_done(call, channel, s); });
  }

  void on_done(Call* call, int channel, const grpc::Status& s) {
    Record r;
    r.pod = s.ok() ? call->reply.pod() : "";
    r.status = static_cast<int>(s.error_code());
    const int caller = call->caller;
    const Clock::time_point sent = call->sent;
    delete call;
    finish(std::move(r), sent, channel, caller);
  }

 public:
  /// Records a finished call (r: pod, status and, for Generate, ttft_ms and tokens) and, closed loop,
  /// sends the caller's next one.
  void finish(Record r, Clock::time_point sent, int channel, int caller) {
    const Clock::time_point now = Clock::now();
    r.send_s = std::chrono::duration<double>(sent - start_).count();
    r.latency_ms = std::chrono::duration<double, std::milli>(now - sent).count();
    bool again = false;
    double think_s = 0.0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      records_.push_back(std::move(r));
      again = caller >= 0 && now < end_;
      if (again && o_.think_ms > 0) think_s = std::exponential_distribution<double>(1000.0 / o_.think_ms)(rng_);
      if (!again && --outstanding_ == 0) done_cv_.notify_all();
    }
    if (!again) return;
    if (think_s > 0) {  // a caller thinking: a detached sleeper keeps the loop simple (think times are rare here)
      std::thread([this, channel, caller, think_s] {
        std::this_thread::sleep_for(std::chrono::duration<double>(think_s));
        send(channel, caller, Clock::time_point{}, false);
      }).detach();
    } else {
      send(channel, caller, Clock::time_point{}, false);
    }
  }

  friend class GenCall;
  const Options& o_;
  std::mt19937_64 rng_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<kv::Inference::Stub>> stubs_;
  Clock::time_point start_, end_;
  std::atomic<uint64_t> next_id_{0};
  std::mutex mu_;
  std::condition_variable done_cv_;
  int64_t outstanding_ = 0;
  std::vector<Record> records_;
};

/// One Generate call: reads every token; the first one's arrival is the time to first token.
class GenCall final : public grpc::ClientReadReactor<kv::Token> {
 public:
  GenCall(Run* run, int channel, int caller, Clock::time_point sent, uint64_t id, uint32_t tokens)
      : run_(run), channel_(channel), caller_(caller), sent_(sent) {
    req_.set_id(id);
    req_.set_output_tokens(tokens);
  }
  void start(kv::Inference::Stub* stub) {
    stub->async()->Generate(&ctx_, &req_, this);
    StartRead(&token_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // end of stream: OnDone follows
    if (rec_.tokens++ == 0) {
      rec_.ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_).count();
      rec_.pod = token_.pod();
    }
    StartRead(&token_);
  }
  void OnDone(const grpc::Status& s) override {
    rec_.status = static_cast<int>(s.error_code());
    Run* run = run_;
    Record r = std::move(rec_);
    const Clock::time_point sent = sent_;
    const int channel = channel_, caller = caller_;
    delete this;
    run->finish(std::move(r), sent, channel, caller);
  }

 private:
  Run* run_;
  int channel_, caller_;
  Clock::time_point sent_;
  grpc::ClientContext ctx_;
  kv::GenerateRequest req_;
  kv::Token token_;
  Record rec_;
};

void Run::send(int channel, int caller, Clock::time_point intended, bool fresh) {
  if (o_.tokens == 0) {
    send_infer(channel, caller, intended, fresh);
    return;
  }
  if (fresh) {
    std::lock_guard<std::mutex> lock(mu_);
    ++outstanding_;
  }
  const Clock::time_point sent = intended == Clock::time_point{} ? Clock::now() : intended;
  auto* call = new GenCall(this, channel, caller, sent, next_id_.fetch_add(1), o_.tokens);
  call->start(stubs_[static_cast<size_t>(channel)].get());
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Run run(o);
  run.go();
  std::vector<Record> recs = run.records();
  std::sort(recs.begin(), recs.end(), [](const Record& a, const Record& b) { return a.send_s < b.send_s; });

  if (!o.csv.empty()) {
    std::ofstream csv(o.csv);
    csv << "send_s,latency_ms,pod,status" << (o.tokens ? ",ttft_ms,tokens" : "") << '\n';
    char line[256];
    for (const Record& r : recs) {
      std::snprintf(line, sizeof(line), "%.6f,%.4f,", r.send_s, r.latency_ms);
      csv << line << r.pod << ',' << r.status;
      if (o.tokens) {
        std::snprintf(line, sizeof(line), ",%.4f,%u", r.ttft_ms, r.tokens);
        csv << line;
      }
      csv << '\n';
    }
  }

  std::vector<double> lat, ttft;
  std::map<std::string, int64_t> per_pod;  // ordered by name: deterministic output
  int64_t sent = 0, failed = 0;
  double sum = 0.0;
  for (const Record& r : recs) {
    if (r.send_s < o.warmup_s || r.send_s >= o.duration_s) continue;
    ++sent;
    if (r.status != 0) {
      ++failed;
      continue;
    }
    lat.push_back(r.latency_ms);
    if (o.tokens) ttft.push_back(r.ttft_ms);
    sum += r.latency_ms;
    ++per_pod[r.pod];
  }
  std::sort(lat.begin(), lat.end());
  const auto completed = static_cast<int64_t>(lat.size());
  nlohmann::json j;
  j["scenario"] = {{"name", o.name}, {"duration_s", o.duration_s}, {"warmup_s", o.warmup_s}, {"seed", o.seed}};
  j["load"] = {{"target", o.target}, {"channels", o.channels}, {"streams", o.streams},
               {"think_ms", o.think_ms}, {"rate_rps", o.rate_rps}};
  j["sli"]["requests"] = {{"sent", sent}, {"completed", completed}, {"failed", failed}, {"unfinished", run.unfinished()}};
  j["sli"]["latency_ms"] = {{"mean", completed ? sum / static_cast<double>(completed) : 0.0},
                            {"p50", percentile(lat, 0.50)}, {"p90", percentile(lat, 0.90)},
                            {"p95", percentile(lat, 0.95)}, {"p99", percentile(lat, 0.99)},
                            {"p999", percentile(lat, 0.999)}, {"max", lat.empty() ? 0.0 : lat.back()}};
  if (o.tokens) {  // kubemind's LLM report keys
    std::sort(ttft.begin(), ttft.end());
    j["sli"]["ttft_ms"] = {{"p50", percentile(ttft, 0.50)}, {"p90", percentile(ttft, 0.90)}, {"p99", percentile(ttft, 0.99)}};
    j["load"]["tokens"] = o.tokens;
  }
  j["sli"]["throughput_rps"] = static_cast<double>(completed) / (o.duration_s - o.warmup_s);
  j["pods"] = nlohmann::json::array();
  for (const auto& [pod, n] : per_pod) {
    j["pods"].push_back({{"name", pod}, {"requests", n}, {"share", completed ? static_cast<double>(n) / static_cast<double>(completed) : 0.0}});
  }
  const std::string text = j.dump(2);
  if (!o.summary.empty()) {
    std::ofstream(o.summary) << text << '\n';
  } else {
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
  // _Exit: calls abandoned after the drain may still call back into Run; skip the destructors.
  std::_Exit(failed > 0 && completed == 0 ? 1 : 0);
}
