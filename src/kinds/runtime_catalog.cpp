#include "kinds/runtime_catalog.hpp"

namespace archsim::kinds {

#define ARCHSIM_SERVICE_KIND(name)      \
  namespace name {                      \
  void add_to(RuntimeCatalog& catalog); \
  }
#include "kinds/kinds.def"
#undef ARCHSIM_SERVICE_KIND

const RuntimeCatalog& runtime_catalog() {
  static const RuntimeCatalog shipped = [] {
    RuntimeCatalog c;
    add_generic_runtime(c);
#define ARCHSIM_SERVICE_KIND(name) name::add_to(c);
#include "kinds/kinds.def"
#undef ARCHSIM_SERVICE_KIND
    return c;
  }();
  return shipped;
}

}  // namespace archsim::kinds
