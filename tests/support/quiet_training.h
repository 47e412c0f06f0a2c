// Training options for a test: no progress bar, and the log kept where the test can read it, or discarded.
#pragma once
#include <ostream>
#include <sstream>

#include "train/trainer.h"

namespace bf::test {

inline TrainOptions quiet(std::ostream& log) {
  TrainOptions o;
  o.progress = false;
  o.log = &log;
  return o;
}

inline TrainOptions quiet() {
  static std::ostringstream sink;
  return quiet(sink);
}

}  // namespace bf::test
