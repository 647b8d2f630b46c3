// SPDX-License-Identifier: MIT
// kmval_backend: a gRPC inference server that emulates one GPU pod for the real testbed (issue 8).
// - Infer (unary): per-request CPU work that really burns --cpu-ms of this thread's CPU time
//   (Triton's deserialise/preprocess), then the dynamic batcher (batcher.h), which waits L(b) from the
//   same models/ profile kubemind uses. Generate (server streaming): every output token is one step
//   through the same batcher, so steps of concurrent streams share batches (iteration-level batching).
// - Every reply carries --pod. /metrics (Prometheus text) and /ready on --metrics-port.
// - Readiness: gRPC listens only after --weight-load-s (emulated weight load); /ready is 503 until then.
// - SIGTERM/SIGINT: /ready turns 503, the server stops taking new calls (GOAWAY), in-flight calls
//   finish (up to --drain-s), then the process exits 0.
// - --max-connection-age-ms / --max-connection-age-grace-ms: gRPC core's GRPC_ARG_MAX_CONNECTION_AGE_MS
//   (gRFC A9: GOAWAY after the age, +/-10% jitter).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "backend/batcher.h"
#include "backend/metrics_http.h"
#include "inference.grpc.pb.h"

namespace kv = kubemind::validation;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 50051;
  int metrics_port = 9100;
  std::string pod = "backend-0";
  std::string model;  // models/*.json
  kv::BatcherConfig batcher;
  double cpu_ms = 0.0;
  double weight_load_s = 0.0;
  double drain_s = 30.0;
  int64_t max_connection_age_ms = 0;  // 0: none
  int64_t max_connection_age_grace_ms = -1;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "kmval_backend: %s\nusage: kmval_backend --model PROFILE.json [--pod NAME] [--host IP] [--port N]\n"
               "  [--metrics-port N] [--instances N] [--max-batch N] [--preferred 4,8] [--max-queue-delay-us N]\n"
               "  [--cpu-ms X] [--weight-load-s X] [--drain-s X] [--max-connection-age-ms N]\n"
               "  [--max-connection-age-grace-ms N]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--host") o.host = v;
    else if (a == "--port") o.port = std::stoi(v);
    else if (a == "--metrics-port") o.metrics_port = std::stoi(v);
    else if (a == "--pod") o.pod = v;
    else if (a == "--model") o.model = v;
    else if (a == "--instances") o.batcher.instances = std::stoi(v);
    else if (a == "--max-batch") o.batcher.max_batch_size = std::stoi(v);
    else if (a == "--max-queue-delay-us") o.batcher.max_queue_delay_us = std::stoll(v);
    else if (a == "--preferred") {
      std::stringstream ss(v);
      std::string t;
      while (std::getline(ss, t, ',')) if (!t.empty()) o.batcher.preferred_batch_sizes.push_back(std::stoi(t));
    } else if (a == "--cpu-ms") o.cpu_ms = std::stod(v);
    else if (a == "--weight-load-s") o.weight_load_s = std::stod(v);
    else if (a == "--drain-s") o.drain_s = std::stod(v);
    else if (a == "--max-connection-age-ms") o.max_connection_age_ms = std::stoll(v);
    else if (a == "--max-connection-age-grace-ms") o.max_connection_age_grace_ms = std::stoll(v);
    else usage(("unknown option " + a).c_str());
  }
  if (o.model.empty()) usage("--model is required");
  if (o.batcher.instances < 1 || o.batcher.max_batch_size < 1) usage("--instances and --max-batch must be >= 1");
  return o;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Burns `ms` of this thread's CPU time (not wall time: a descheduled thread keeps burning later).
void burn_cpu_ms(double ms) {
  if (ms <= 0) return;
  const double until = thread_cpu_ms() + ms;
  volatile uint64_t x = 0;
  while (thread_cpu_ms() < until) {
    for (int i = 0; i < 256; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  }
}

// Server-side latency histogram (arrival at the handler -> reply), Prometheus buckets in seconds.
constexpr double kBucketsS[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
constexpr size_t kBuckets = sizeof(kBucketsS) / sizeof(kBucketsS[0]);

struct Stats {
  std::atomic<int64_t> inflight{0};
  std::atomic<int64_t> requests_total{0};
  std::atomic<int64_t> completed_total{0};
  std::atomic<int64_t> tokens_total{0};
  std::mutex mu;
  int64_t bucket[kBuckets + 1] = {};
  double latency_sum_s = 0.0;
  void observe(double s) {
    std::lock_guard<std::mutex> lock(mu);
    size_t i = 0;
    while (i < kBuckets && s > kBucketsS[i]) ++i;
    ++bucket[i];
    latency_sum_s += s;
  }
};

class InferCall final : public kv::BatchItem {
 public:
  InferCall(grpc::ServerUnaryReactor* reactor, kv::InferReply* reply, const std::string* pod, Stats* stats)
      : reactor_(reactor), reply_(reply), pod_(pod), stats_(stats), received_(kv::Clock::now()) {}
  bool complete(const kv::BatchResult& r) override {
    reply_->set_pod(*pod_);
    reply_->set_batch_size(r.batch_size);
    reply_->set_queue_ms(r.queue_ms);
    reply_->set_compute_ms(r.compute_ms);
    return true;
  }
  void deliver() override {
    stats_->observe(std::chrono::duration<double>(kv::Clock::now() - received_).count());
    stats_->inflight.fetch_sub(1);
    stats_->completed_total.fetch_add(1);
    grpc::ServerUnaryReactor* reactor = reactor_;
    delete this;
    reactor->Finish(grpc::Status::OK);
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  kv::InferReply* reply_;
  const std::string* pod_;
  Stats* stats_;
  kv::Clock::time_point received_;
};

/// One Generate stream: each token is a batcher step. The next step is queued as soon as a step
/// completes (an LLM engine's next iteration does not wait for the socket); tokens are written in
/// order, one write in flight at a time (gRPC's rule), the rest waiting in `unwritten_`.
class GenerateStream final : public grpc::ServerWriteReactor<kv::Token>, public kv::BatchItem {
 public:
  GenerateStream(const kv::GenerateRequest* req, kv::Batcher* batcher, const std::string* pod, Stats* stats)
      : batcher_(batcher), pod_(pod), stats_(stats), id_(req->id()), steps_left_(req->output_tokens()) {
    stats_->inflight.fetch_add(1);
    stats_->requests_total.fetch_add(1);
    if (steps_left_ == 0) {
      Finish(grpc::Status::OK);
    } else {
      batcher_->submit(this);
    }
  }
  // Lifetime: Finish (then OnDone, which deletes) happens only once every step has completed and no
  // write is in flight, so `this` stays valid while a step is queued or a write is pending.
  bool complete(const kv::BatchResult&) override {
    stats_->tokens_total.fetch_add(1);
    bool more = false, write_now = false, finish_now = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --steps_left_;
      more = steps_left_ > 0;
      if (!cancelled_) ++unwritten_;
      if (!writing_ && unwritten_ > 0) {
        writing_ = true;
        write_now = true;
        take_token_locked();
      } else if (!writing_ && !more) {
        finish_now = true;  // cancelled: nothing left to write
      }
    }
    if (write_now || finish_now) {
      std::lock_guard<std::mutex> lock(mu_);
      deliver_write_ = write_now;
    }
    if (more) batcher_->submit(this);
    return write_now || finish_now;  // either way nothing else can finish this stream before deliver()
  }
  void deliver() override {
    bool write = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      write = deliver_write_;
    }
    if (write) {
      StartWrite(&token_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
    }
  }
  void OnWriteDone(bool ok) override {
    bool write_next = false, finish = false, cancelled = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ok) {
        cancelled_ = true;
        unwritten_ = 0;
      }
      if (unwritten_ > 0) {
        write_next = true;
        take_token_locked();
      } else {
        writing_ = false;
        finish = steps_left_ == 0;
      }
      cancelled = cancelled_;
    }
    if (write_next) {
      StartWrite(&token_);
    } else if (finish) {
      Finish(cancelled ? grpc::Status(grpc::StatusCode::CANCELLED, "client gone") : grpc::Status::OK);
    }
  }
  void OnDone() override {
    stats_->inflight.fetch_sub(1);
    stats_->completed_total.fetch_add(1);
    delete this;
  }

 private:
  void take_token_locked() {
    --unwritten_;
    token_.set_id(id_);
    token_.set_pod(*pod_);
    token_.set_index(index_++);
  }
  kv::Batcher* batcher_;
  const std::string* pod_;
  Stats* stats_;
  uint64_t id_;
  std::mutex mu_;
  uint32_t steps_left_;     // batcher steps not yet completed
  uint32_t unwritten_ = 0;  // tokens computed, not yet handed to StartWrite
  uint32_t index_ = 0;
  bool writing_ = false;
  bool cancelled_ = false;
  bool deliver_write_ = false;  // what deliver() does: StartWrite (true) or Finish(CANCELLED)
  kv::Token token_;
};

class InferenceService final : public kv::Inference::CallbackService {
 public:
  InferenceService(const Options* o, kv::Batcher* b, Stats* s) : options_(o), batcher_(b), stats_(s) {}
  grpc::ServerUnaryReactor* Infer(grpc::CallbackServerContext* ctx, const kv::InferRequest* req,
                                  kv::InferReply* reply) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    stats_->requests_total.fetch_add(1);
    stats_->inflight.fetch_add(1);
    reply->set_id(req->id());
    auto* call = new InferCall(reactor, reply, &options_->pod, stats_);
    burn_cpu_ms(options_->cpu_ms);
    batcher_->submit(call);
    return reactor;
  }
  grpc::ServerWriteReactor<kv::Token>* Generate(grpc::CallbackServerContext*, const kv::GenerateRequest* req) override {
    return new GenerateStream(req, batcher_, &options_->pod, stats_);
  }

 private:
  const Options* options_;
  kv::Batcher* batcher_;
  Stats* stats_;
};

std::string render_metrics(const Options& o, const kv::Batcher& batcher, Stats& stats, const std::atomic<bool>& ready) {
  std::ostringstream m;
  const std::string l = "{pod=\"" + o.pod + "\"}";
  auto gauge = [&](const char* name, const char* help, const char* type, double v) {
    m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << l << ' ' << v << '\n';
  };
  gauge("queue_depth", "Requests waiting in the batcher queue.", "gauge", static_cast<double>(batcher.queue_depth()));
  gauge("inflight", "Calls received and not yet answered.", "gauge", static_cast<double>(stats.inflight.load()));
  gauge("executing", "Requests in batches executing on the emulated GPU.", "gauge", static_cast<double>(batcher.executing()));
  gauge("requests_total", "Calls received.", "counter", static_cast<double>(stats.requests_total.load()));
  gauge("requests_completed_total", "Calls answered.", "counter", static_cast<double>(stats.completed_total.load()));
  gauge("tokens_total", "Generate tokens streamed.", "counter", static_cast<double>(stats.tokens_total.load()));
  gauge("batches_total", "Batches executed.", "counter", static_cast<double>(batcher.batches_total()));
  gauge("ready", "1 once the emulated weight load is done and until SIGTERM.", "gauge", ready.load() ? 1.0 : 0.0);
  gauge("process_cpu_seconds_total", "User and system CPU time of this process.", "counter", process_cpu_s());
  const std::vector<int64_t> counts = batcher.batch_counts();
  m << "# HELP batch_size_total Batches executed by size.\n# TYPE batch_size_total counter\n";
  for (size_t b = 1; b < counts.size(); ++b) {
    m << "batch_size_total{pod=\"" << o.pod << "\",size=\"" << b << "\"} " << counts[b] << '\n';
  }
  std::lock_guard<std::mutex> lock(stats.mu);
  m << "# HELP request_latency_seconds Handler arrival to reply.\n# TYPE request_latency_seconds histogram\n";
  int64_t cum = 0;
  for (size_t i = 0; i <= kBuckets; ++i) {
    cum += stats.bucket[i];
    m << "request_latency_seconds_bucket{pod=\"" << o.pod << "\",le=\"";
    if (i < kBuckets) m << kBucketsS[i]; else m << "+Inf";
    m << "\"} " << cum << '\n';
  }
  m << "request_latency_seconds_sum" << l << ' ' << stats.latency_sum_s << '\n';
  m << "request_latency_seconds_count" << l << ' ' << cum << '\n';
  return m.str();
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // 1 ns timer slack: emulated batch times within ~us
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);  // every thread inherits the mask; main waits below

  kv::Batcher batcher(o.batcher, kv::latency_curve_from_profile_file(o.model));
  Stats stats;
  std::atomic<bool> ready{false};
  kv::MetricsHttp http(o.host, o.metrics_port, [&] { return render_metrics(o, batcher, stats, ready); }, &ready);
  http.start();
  batcher.start();

  if (o.weight_load_s > 0) {  // emulated weight load; SIGTERM during it exits at once
    timespec ts{static_cast<time_t>(o.weight_load_s), static_cast<long>((o.weight_load_s - static_cast<double>(static_cast<time_t>(o.weight_load_s))) * 1e9)};
    if (sigtimedwait(&sigs, nullptr, &ts) > 0) {
      batcher.stop();
      http.stop();
      return 0;
    }
  }

  InferenceService service(&o, &batcher, &stats);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.host + ":" + std::to_string(o.port), grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  if (o.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, static_cast<int>(o.max_connection_age_ms));
    if (o.max_connection_age_grace_ms >= 0) {
      builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, static_cast<int>(o.max_connection_age_grace_ms));
    }
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "kmval_backend %s: cannot listen on %s:%d\n", o.pod.c_str(), o.host.c_str(), o.port);
    return 1;
  }
  ready.store(true);
  std::fprintf(stderr, "kmval_backend %s: serving on %s:%d, metrics on %d\n", o.pod.c_str(), o.host.c_str(), o.port,
               o.metrics_port);

  int sig = 0;
  sigwait(&sigs, &sig);
  ready.store(false);
  std::fprintf(stderr, "kmval_backend %s: %s, draining %lld in flight\n", o.pod.c_str(), strsignal(sig),
               static_cast<long long>(stats.inflight.load()));
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(o.drain_s * 1000)));
  batcher.stop();
  http.stop();
  std::fprintf(stderr, "kmval_backend %s: drained, %lld of %lld calls answered\n", o.pod.c_str(),
               static_cast<long long>(stats.completed_total.load()), static_cast<long long>(stats.requests_total.load()));
  return 0;
}
