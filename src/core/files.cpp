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

}  // namespace archsim
