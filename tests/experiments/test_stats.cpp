// The sweep report's statistics against published tables and hand computations.
#include <doctest/doctest.h>

#include <cmath>

#include "experiments/stats.h"

using namespace bf::stats;

TEST_CASE("stats: Student t and normal quantiles match the printed tables") {
  // Two-sided 95% critical values (any statistics textbook's t table) and one 80% quantile.
  // Six-digit values (R's qt): t_{0.975, 1} = tan(0.475 pi) exactly.
  CHECK(student_t_quantile(0.975, 1) == doctest::Approx(std::tan(0.475 * M_PI)).epsilon(1e-9));
  CHECK(student_t_quantile(0.975, 2) == doctest::Approx(4.302653).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 4) == doctest::Approx(2.776445).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 9) == doctest::Approx(2.262157).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 30) == doctest::Approx(2.042272).epsilon(1e-6));
  CHECK(student_t_quantile(0.80, 9) == doctest::Approx(0.883).epsilon(5e-4));  // the table gives 3 digits
  CHECK(student_t_quantile(0.025, 4) == doctest::Approx(-2.776445).epsilon(1e-6));
  CHECK(std::fabs(student_t_quantile(0.5, 3)) < 1e-9);
  // df = 1 is the Cauchy distribution: P(T <= 1) = 3/4 exactly.
  CHECK(student_t_cdf(1.0, 1) == doctest::Approx(0.75).epsilon(1e-12));
  // df = 2 has a closed form: P(T <= t) = 1/2 + t / (2 sqrt(2 + t^2)).
  CHECK(student_t_cdf(1.5, 2) == doctest::Approx(0.5 + 1.5 / (2 * std::sqrt(2 + 2.25))).epsilon(1e-12));
  CHECK(normal_quantile(0.975) == doctest::Approx(1.959964).epsilon(1e-6));
  CHECK(normal_quantile(0.8) == doctest::Approx(0.841621).epsilon(1e-6));
  CHECK(incomplete_beta(2, 3, 0.4) == doctest::Approx(0.5248).epsilon(1e-10));  // 1 - (0.6^4 + 4 * 0.4 * 0.6^3)
}

TEST_CASE("stats: a known-answer paired interval and its verdict") {
  // Baseline and variant losses over three seeds; differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1,
  // half-width 4.302653 * 0.1 / sqrt(3) = 0.248414.
  const std::vector<double> baseline = {2.0, 2.1, 2.2}, variant = {2.1, 2.3, 2.5};
  const std::vector<double> d = paired_differences(baseline, variant);
  REQUIRE(d.size() == 3);
  const Interval iv = t_interval(d);
  CHECK(iv.summary.n == 3);
  CHECK(iv.summary.mean == doctest::Approx(0.2));
  CHECK(iv.summary.sd == doctest::Approx(0.1));
  CHECK(iv.half_width == doctest::Approx(0.248414).epsilon(1e-5));
  CHECK(iv.lo == doctest::Approx(-0.048414).epsilon(1e-4));
  CHECK(iv.hi == doctest::Approx(0.448414).epsilon(1e-5));
  CHECK(verdict(iv) == "not resolved with 3 seeds");
  CHECK(format_interval(iv) == "+0.2000 [-0.0484, +0.4484]");

  // The same spread, shifted: every seed 0.5 to 0.7 worse, the interval [0.2516, 0.7484] above 0.
  CHECK(verdict(t_interval({0.5, 0.6, 0.7})) == "worse");
  CHECK(verdict(t_interval({-0.5, -0.6, -0.7})) == "better");
  const Interval one = t_interval({0.3});
  CHECK(!one.has_interval());
  CHECK(verdict(one) == "n = 1: no interval");
  CHECK(format_interval(one) == "+0.3000 (n = 1: no interval)");
  // Non-finite entries (a run that has not reached the step) are not paired.
  CHECK(paired_differences({1.0, NAN, 3.0}, {1.5, 2.0, 2.0}).size() == 2);
}

TEST_CASE("stats: seeds for 80% power agree with G*Power's exact paired-t answers") {
  // Two-sided alpha 0.05, power 0.8: effect size 0.5 sd needs 34 pairs, 1.0 sd needs 10, 0.8 sd 15.
  CHECK(seeds_for_power(0.5, 1.0) == 34);
  CHECK(seeds_for_power(1.0, 1.0) == 10);
  CHECK(seeds_for_power(-0.08, 0.1) == 15);  // the sign of the difference does not matter
  CHECK(seeds_for_power(0.0, 1.0) == -1);
  CHECK(seeds_for_power(1e-6, 1.0, 0.8, 0.05, 1000) == 1001);  // beyond the cap
}
