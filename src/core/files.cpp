#include "core/files.hpp"

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace archsim {

namespace fs = std::filesystem;

void write_result_file(const std::string& target, const std::function<void(std::ostream&)>& fill) {
  const fs::path path = target;
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    fill(out);
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
}

bool numbered_name(const std::string& name, const std::string& prefix, std::size_t digits) {
  return name.size() >= prefix.size() + digits && name.rfind(prefix, 0) == 0 &&
         std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

void remove_replication_folders(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (is_replication_folder_name(entry.path().filename().string()) && entry.is_directory())
      fs::remove_all(entry.path());
}

void write_summary(const std::string& folder, const nlohmann::ordered_json& summary) {
  write_result_file(folder + "/summary.json", [&](std::ostream& out) { out << summary.dump(2) << "\n"; });
}

}  // namespace archsim
