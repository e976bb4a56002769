#include "core/files.hpp"

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

void remove_folders_named(const std::string& folder, const std::string& prefix) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_directory() && entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path());
}

void write_summary(const std::string& folder, const nlohmann::ordered_json& summary) {
  write_result_file(folder + "/summary.json", [&](std::ostream& out) { out << summary.dump(2) << "\n"; });
}

}  // namespace archsim
