#include "experiments/stats.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace bf::stats {
namespace {

// Lentz's continued fraction for I_x(a, b) (Numerical Recipes, 2nd ed., eq. 6.4.5 and betacf).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d, h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < eps) break;
  }
  return h;
}

// Solves cdf(x) = p for x by bisection: cdf increasing, bracket grown until it holds p.
template <class Cdf>
double invert(Cdf cdf, double p) {
  double lo = -1, hi = 1;
  while (cdf(lo) > p) lo *= 2;
  while (cdf(hi) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::fabs(lo)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // x^a (1-x)^b / (a B(a, b)), then the fraction where it converges fast, the symmetry I_x = 1 - I_{1-x}.
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

double student_t_cdf(double t, double df) {
  // P(T > |t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2 = (1 - I_{t^2/(df+t^2)}(1/2, df/2)) / 2; the second form
  // for small t, where 1 - df/(df+t^2) would lose its digits to cancellation.
  const double t2 = t * t;
  const double tail = t2 < df ? 0.5 * (1 - incomplete_beta(0.5, 0.5 * df, t2 / (df + t2)))
                              : 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t2));
  return t > 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  // Cached: a report asks for the same few (p, df) pairs thousands of times.
  static thread_local std::map<std::pair<double, double>, double> cache;
  const auto key = std::make_pair(p, df);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const double q = invert([df](double t) { return student_t_cdf(t, df); }, p);
  cache.emplace(key, q);
  return q;
}

double normal_quantile(double p) {
  return invert([](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }, p);
}

Summary summarize(const std::vector<double>& values) {
  Summary s;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++s.n;
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double sq = 0;
  for (double v : values)
    if (std::isfinite(v)) sq += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(sq / (s.n - 1));
  return s;
}

Interval t_interval(const std::vector<double>& values, double level) {
  Interval iv;
  iv.summary = summarize(values);
  if (iv.summary.n < 2) return iv;
  iv.half_width = student_t_quantile(0.5 * (1 + level), iv.summary.n - 1) * iv.summary.sd / std::sqrt(double(iv.summary.n));
  iv.lo = iv.summary.mean - iv.half_width;
  iv.hi = iv.summary.mean + iv.half_width;
  return iv;
}

std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) d.push_back(b[i] - a[i]);
  return d;
}

std::string verdict(const Interval& iv) {
  if (iv.summary.n == 0) return "no paired runs";
  if (iv.summary.n == 1) return "n = 1: no interval";
  if (iv.hi < 0) return "better";
  if (iv.lo > 0) return "worse";
  return "not resolved with " + std::to_string(iv.summary.n) + " seeds";
}

int seeds_for_power(double effect, double sd, double power, double alpha, int max_n) {
  if (!std::isfinite(effect) || !std::isfinite(sd) || effect == 0) return -1;
  if (sd == 0) return 2;
  const double ratio = sd / std::fabs(effect);
  auto enough = [&](int n) {
    const double t = student_t_quantile(1 - alpha / 2, n - 1) + student_t_quantile(power, n - 1);
    return double(n) >= t * t * ratio * ratio;
  };
  // n - f(n) increases with n (f falls as the quantiles shrink): bisect for the first n that is enough.
  if (!enough(max_n)) return max_n + 1;
  int lo = 2, hi = max_n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    enough(mid) ? hi = mid : lo = mid + 1;
  }
  return lo;
}

std::string format_interval(const Interval& iv, int digits, bool sign) {
  if (iv.summary.n == 0) return "-";
  auto number = [&](double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, sign ? "%+.*f" : "%.*f", digits, v);
    return std::string(buf);
  };
  if (!iv.has_interval()) return number(iv.summary.mean) + " (n = 1: no interval)";
  return number(iv.summary.mean) + " [" + number(iv.lo) + ", " + number(iv.hi) + "]";
}

}  // namespace bf::stats
