#pragma once
// JSON documents compiled into the binary from the source tree (see CMakeLists.txt):
// scenarios/schema.json and platforms/default.json.
namespace archsim::embedded {
const char* scenario_schema();
const char* default_profile();
}  // namespace archsim::embedded
