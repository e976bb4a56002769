#pragma once
// The shipped catalog: every service kind of kinds.def, the generic step kinds and the
// generic timed actions, on the scenario side (no engine). kinds/runtime_catalog.hpp is
// its counterpart for runs.
#include "scenario/catalog.hpp"

namespace archsim::kinds {

const Catalog& catalog();

}  // namespace archsim::kinds
