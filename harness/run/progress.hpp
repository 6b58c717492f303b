// Progress of a run, for a terminal: which variant of how many, which repeat, and when
// the whole run should end. Pure: the caller reads the clock and prints (cli/run_command.cpp
// draws one line on stderr, rewritten in place, only when stderr is a terminal).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace hopcost {

struct RunProgress {
  using Seconds = std::chrono::duration<double>;
  size_t finished = 0;  // variant runs finished, every repeat counted
  size_t total = 0;     // variants × repeats
  Seconds spent{0};     // from the first variant's start to the last finished one's end
  Seconds current{0};   // how long the running variant has run so far (0 when it starts)
  Seconds planned{0};   // a variant's warm-up + duration: its length before any has finished
};

// Seconds left in the run: the mean time of the variant runs finished so far (which
// includes building and tearing down their chains), or, before the first has finished,
// the planned warm-up + duration, times the runs not finished, less what the current
// one has already run. Never below 0.
RunProgress::Seconds remaining(const RunProgress& p);

// "42s", "1m05s", "2h03m" (seconds rounded up, so that 0.2 s left reads "1s", not "0s";
// exactly 0 reads "0s").
std::string eta_text(RunProgress::Seconds left);

// "[ 3/12] tls-everywhere 5 hops TLS 1.3 new inproc · ETA 1m05s", with "repeat 2/3, "
// after the '[' when there are repeats. `index` and `repeat` count from 0. With a
// `width` (terminal columns; 0: none), the label is cut, with "…", so that the line
// fits: the position and the ETA always show.
std::string progress_line(size_t index, size_t count, int repeat, int repeats, std::string_view label,
                          RunProgress::Seconds left, size_t width = 0);

}  // namespace hopcost
