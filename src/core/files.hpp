#pragma once
// Writing result files safely.
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace archsim {

// Writes a file through a temporary file and a rename, so a reader never sees half a file.
void write_result_file(const std::string& path, const std::function<void(std::ostream&)>& fill);

// Whether `name` is `prefix` followed by `digits` digits or more ("point-0001").
bool numbered_name(const std::string& name, const std::string& prefix, std::size_t digits);

// Whether `name` is that of a replication's folder ("rep-001": "rep-" and 3 digits or more).
inline bool is_replication_folder_name(const std::string& name) { return numbered_name(name, "rep-", 3); }

// Removes the replication folders (rep-NNN) an earlier run left in `folder` (a link of that
// name, not what it points to).
void remove_replication_folders(const std::string& folder);

// The version of summary.json's format; CHANGES.md lists what each version added, renamed
// or re-defined.
constexpr int kSummaryFormatVersion = 6;

// FOLDER/summary.json, as every writer of summaries formats it.
void write_summary(const std::string& folder, const nlohmann::ordered_json& summary);

}  // namespace archsim
