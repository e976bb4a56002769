#pragma once
// The shipped runtime catalog: the run-time side of every service kind of kinds.def, and
// of the generic step kinds and actions.
#include "components/runtime_catalog.hpp"

namespace archsim::kinds {

const RuntimeCatalog& runtime_catalog();

}  // namespace archsim::kinds
