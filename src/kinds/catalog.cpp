#include "kinds/catalog.hpp"

#include "scenario/actions.hpp"
#include "scenario/steps.hpp"

namespace archsim::kinds {

#define ARCHSIM_SERVICE_KIND(name) \
  namespace name {                 \
  void add_to(Catalog& catalog);   \
  }
#include "kinds/kinds.def"
#undef ARCHSIM_SERVICE_KIND

const Catalog& catalog() {
  static const Catalog shipped = [] {
    Catalog c;
    add_generic_steps(c);
    add_generic_actions(c);
#define ARCHSIM_SERVICE_KIND(name) name::add_to(c);
#include "kinds/kinds.def"
#undef ARCHSIM_SERVICE_KIND
    return c;
  }();
  return shipped;
}

}  // namespace archsim::kinds
