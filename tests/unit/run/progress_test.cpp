#include <catch2/catch.hpp>

#include "run/progress.hpp"

using namespace hopcost;
using S = RunProgress::Seconds;

TEST_CASE("progress: before any variant has finished, the ETA is warm-up + duration per run left") {
  // 4 variants x 2 repeats of 0.5 s + 3 s.
  CHECK(remaining({0, 8, S(0), S(0), S(3.5)}).count() == Approx(28));
  // 1 s into the first one.
  CHECK(remaining({0, 8, S(0), S(1), S(3.5)}).count() == Approx(27));
}

TEST_CASE("progress: once variants have finished, the ETA is their mean time per run left") {
  // 3 runs done in 15 s (5 s each, chain setup included, not the planned 3.5 s): 5 left.
  CHECK(remaining({3, 8, S(15), S(0), S(3.5)}).count() == Approx(25));
  CHECK(remaining({3, 8, S(15), S(2), S(3.5)}).count() == Approx(23));
  // The last one running longer than the mean: 0, not below.
  CHECK(remaining({7, 8, S(35), S(9), S(3.5)}).count() == 0);
  CHECK(remaining({8, 8, S(40), S(0), S(3.5)}).count() == 0);
}

TEST_CASE("progress: the ETA reads in seconds, minutes or hours, rounded up") {
  CHECK(eta_text(S(0)) == "0s");
  CHECK(eta_text(S(0.2)) == "1s");
  CHECK(eta_text(S(42)) == "42s");
  CHECK(eta_text(S(59.5)) == "1m00s");
  CHECK(eta_text(S(65)) == "1m05s");
  CHECK(eta_text(S(3600)) == "1h00m");
  CHECK(eta_text(S(7385)) == "2h03m");
  CHECK(eta_text(S(-3)) == "0s");
}

TEST_CASE("progress: the line names the variant of how many, the repeat, the label and the ETA, and fits the terminal") {
  const std::string label = "tls-everywhere 5 hops TLS 1.3 new inproc rtt 1000 µs";
  CHECK(progress_line(2, 12, 0, 1, label, S(65)) == "[ 3/12] " + label + " · ETA 1m05s");
  CHECK(progress_line(2, 12, 1, 3, label, S(65)) == "[repeat 2/3,  3/12] " + label + " · ETA 1m05s");
  CHECK(progress_line(0, 4, 0, 1, "tls 1 hop", S(3)) == "[1/4] tls 1 hop · ETA 3s");
  // Too wide: the label is cut, the position and the ETA stay; µ counts as one cell.
  const std::string cut = progress_line(2, 12, 0, 1, label, S(65), 40);
  CHECK(cut == "[ 3/12] tls-everywhere 5 ho… · ETA 1m05s");
  CHECK(progress_line(2, 12, 0, 1, label, S(65), 72) == "[ 3/12] " + label + " · ETA 1m05s");  // 72 cells exactly
  CHECK(progress_line(2, 12, 0, 1, label, S(65), 71) == "[ 3/12] tls-everywhere 5 hops TLS 1.3 new inproc rtt 1000 … · ETA 1m05s");
  CHECK(progress_line(0, 4, 0, 1, "aµbc", S(3), 18) == "[1/4] aµ… · ETA 3s");  // cut between characters
  CHECK(progress_line(2, 12, 0, 1, label, S(65), 200) == "[ 3/12] " + label + " · ETA 1m05s");
  CHECK(progress_line(2, 12, 0, 1, label, S(65), 10) == "[ 3/12] … · ETA 1m05s");
}
