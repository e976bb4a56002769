#pragma once
// How many simulated threads (SimGrid actors) can live at once in this process. Each has a
// stack of its own with a guard page: two memory mappings, and Linux caps the mappings of
// a process (vm.max_map_count, 65,530 by default, about 31,700 threads after what the
// process needs besides). Past the cap SimGrid could not create a stack and would abort.
// The environment variable ARCHSIM_THREAD_LIMIT sets a lower budget (for tests).
#include <cstddef>

namespace archsim {

std::size_t simulated_thread_limit();

}  // namespace archsim
