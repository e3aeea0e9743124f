// bench_codes: time to verify a dynamic member QR (both Ed25519 signatures, replay cache) and
// to classify a scan, and the length of the QR text. Prints figures; asserts nothing.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "drivers/codes/classify.h"
#include "drivers/codes/member_qr.h"
#include "drivers/codes/member_qr_verifier.h"

using namespace pma::codes;
using Clock = std::chrono::steady_clock;

namespace {

template <typename T>
T must(pma::Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench_codes: %s: %s\n", r.error().code.c_str(),
                 r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void report(const char* what, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<std::size_t>(q * (micros.size() - 1))]; };
  std::printf("%-28s n=%zu  p50=%.1f us  p99=%.1f us  max=%.1f us\n", what, micros.size(), at(0.50),
              at(0.99), micros.back());
}

// This thread's CPU time: on a shared, loaded machine wall-clock p99 is mostly preemption.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

}  // namespace

int main() {
  constexpr int kRuns = 2000;
  constexpr std::int64_t kStart = 1'764'000'015;
  const auto hq = must(Ed25519PrivateKey::generate());
  const auto app = must(Ed25519PrivateKey::generate());
  const auto credential =
      must(issue_credential(hq, 1, "M000123456789", app.public_key(), kStart + 86400 * 365));

  // One code per time step, so each verification is a fresh code at its own "now".
  std::vector<std::string> codes;
  codes.reserve(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    codes.push_back(must(make_member_qr(credential, app, time_step_at(kStart) + i)));
  }

  MemberQrVerifier verifier;
  if (!verifier.add_hq_key(1, hq.public_key())) return 1;
  std::vector<double> verify_us, verify_cpu_us;
  for (int i = 0; i < kRuns; ++i) {
    const double c0 = thread_cpu_us();
    const auto t0 = Clock::now();
    auto r = verifier.verify(codes[i], kStart + 30LL * i);
    const auto t1 = Clock::now();
    verify_cpu_us.push_back(thread_cpu_us() - c0);
    if (!r) {
      std::fprintf(stderr, "bench_codes: verify failed: %s\n", r.error().message.c_str());
      return 1;
    }
    verify_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }

  const CodeRules rules;
  const std::string samples[] = {codes[0], "CPN-AB12CD34", "+86 138 1234 5678", "1234567890123"};
  std::vector<double> classify_us;
  for (int i = 0; i < kRuns; ++i) {
    const auto t0 = Clock::now();
    auto r = classify_code(samples[i % 4], rules);
    const auto t1 = Clock::now();
    if (!r) return 1;
    classify_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }

  report("member QR verify (wall)", verify_us);
  report("member QR verify (cpu)", verify_cpu_us);
  report("classify_code", classify_us);
  std::printf("member QR text length: %zu characters (member id of 13; QR 11-M holds 366)\n",
              codes[0].size());
  return 0;
}
