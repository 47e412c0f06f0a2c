// The statistics behind every sweep comparison: Student t quantiles, the paired t interval, a verdict
// that says when an interval cannot decide, and how many seeds would decide it.
//
// Why the paired Student t interval and not a bootstrap: a sweep has 1 to 5 seeds per variant. A
// percentile bootstrap over n = 3 paired differences has only 10 distinct resamples and its intervals
// are known to undercover badly below n of about 20 (they are never wider than the range of the data);
// rliable's stratified bootstrap (Agarwal et al. 2021) is built for tens of runs across many tasks. The
// t interval is exact when the per-seed differences are normal and honest about small n: its quantile
// grows from 2.78 at n = 5 to 12.7 at n = 2, so few seeds give the wide intervals they should.
#pragma once
#include <cmath>
#include <string>
#include <vector>

namespace bf::stats {

// Regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes 6.4).
double incomplete_beta(double a, double b, double x);
// P(T <= t) for Student's t with `df` degrees of freedom: 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t > 0.
double student_t_cdf(double t, double df);
// The t with P(T <= t) = p (bisection on the CDF to 1e-12).
double student_t_quantile(double p, double df);
double normal_quantile(double p);  // the standard normal's, by bisection on erfc

// Mean and sample standard deviation (n - 1) of the finite values; non-finite values are left out.
struct Summary {
  int n = 0;
  double mean = NAN, sd = NAN;  // NaN when n = 0; sd NaN when n < 2
};
Summary summarize(const std::vector<double>& values);

// The two-sided `level` Student t interval of the mean: mean +- t_{(1+level)/2, n-1} sd / sqrt(n).
// With n < 2 there is no interval (lo, hi, half_width NaN).
struct Interval {
  Summary summary;
  double lo = NAN, hi = NAN, half_width = NAN;
  bool has_interval() const { return summary.n >= 2; }
};
Interval t_interval(const std::vector<double>& values, double level = 0.95);

// Per-seed differences b[i] - a[i] (pairs where both are finite).
std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b);

// For a difference of losses (variant - baseline): "better" when the interval lies below 0, "worse"
// when above, else "not resolved with n seeds"; with n = 1, "n = 1: no interval".
std::string verdict(const Interval& interval);

// Seeds n (>= 2) at which a two-sided paired t test at `alpha` detects a true mean difference `effect`
// with the standard deviation `sd` with probability `power`: the smallest n with
//   n >= ((t_{1-alpha/2, n-1} + t_{power, n-1}) sd / effect)^2,
// the t approximation to the noncentral-t power (it gives G*Power's exact 34 for effect/sd = 0.5 and 10
// for 1.0). Returns -1 when it is undefined (effect 0, sd not finite) and `max_n + 1` when above max_n.
int seeds_for_power(double effect, double sd, double power = 0.8, double alpha = 0.05, int max_n = 100000);

// "+0.0123 [-0.0040, +0.0286]" (or "+0.0123 (n = 1: no interval)"), values with `digits` decimals.
std::string format_interval(const Interval& interval, int digits = 4, bool sign = true);

}  // namespace bf::stats
