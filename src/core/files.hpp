#pragma once
// Writing result files safely.
#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace archsim {

// Writes a file through a temporary file and a rename, so a reader never sees half a file.
void write_result_file(const std::string& path, const std::function<void(std::ostream&)>& fill);

// Removes the folders inside `folder` whose names start with `prefix` (an earlier run's
// replications: "rep-").
void remove_folders_named(const std::string& folder, const std::string& prefix);

// FOLDER/summary.json, as every writer of summaries formats it.
void write_summary(const std::string& folder, const nlohmann::ordered_json& summary);

}  // namespace archsim
