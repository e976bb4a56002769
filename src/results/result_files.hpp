#pragma once
// Reading finished runs back: summary.json from a result folder, named figures of a
// summary (what SLOs, sweep tables and comparisons are made of), and service-level
// objectives such as "p99_ms<=200,error_rate<=0.001".
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

// The files `archsim run --out DIR` writes into DIR (trace.json with --trace-sample).
const std::vector<std::string>& run_result_files();

// Whether `folder` holds only what runs write: result files (and the temporary file of an
// interrupted write), replication folders that hold only those, and the names `extra`.
// What it holds besides is the user's: nothing that replaces results may remove it.
bool holds_only_results(const std::string& folder, const std::vector<std::string>& extra = {});

// Makes `path` a folder that results can be written to (creating it), before anything
// runs. Throws InputError naming `option` and the path when it cannot be: an empty path, a
// file, a folder that cannot be created or written to, a result file's name taken by a
// folder, a replication folder holding files no run writes (a run replaces those folders),
// or one of `inputs` (the scenarios, result folders read) where the run writes or removes.
void prepare_output_folder(const std::string& path, const std::string& option,
                           const std::vector<std::string>& inputs = {});

// Throws InputError naming `option` when one of `inputs` is, or is inside, the entry `owned`
// (a file or folder a run writes or replaces).
void check_not_replaced(const std::string& owned, const std::vector<std::string>& inputs, const std::string& option);

// Moves the results in folder `from` (result files and replication folders) into `to`, in
// place of those of an earlier run there: the earlier summary goes first and the new one
// comes last, so that a reader never takes a mix for a whole. Both are on one file system.
void publish_results(const std::string& from, const std::string& to);

// A new folder for the scratch files of this process (its name: `prefix`, a dash, the host's
// name, a dash and the process id) in the system's temporary folder. Throws InputError naming TMPDIR when that
// is not a folder files can be written to.
std::string scratch_folder(const std::string& prefix);
// Such a folder, removed with this object, whatever ends its use (the end, an error or an
// interruption).
// With `parent`, the folder is made there instead (PARENT/PREFIX-HOST-PID: a staging folder
// on the results' own file system), and this process holds a lock on its file
// kScratchLockFile while it lives (see remove_abandoned_scratch). keep(why) leaves it in
// place, with a file kScratchKeptFile saying why, which nothing removes.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& prefix) : path_(scratch_folder(prefix)) {}
  ScratchFolder(const std::string& prefix, const std::string& parent);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }
  void keep(const std::string& why);

 private:
  std::string path_;
  int lock_ = -1;  // the lock file, held open
  bool kept_ = false;
};
inline constexpr const char* kScratchLockFile = ".archsim-lock";
inline constexpr const char* kScratchKeptFile = "KEPT.txt";

// Removes the folders PARENT/PREFIX-HOST-PID (made by ScratchFolder) that processes of this
// host which have ended left behind (killed before they could remove them), where they hold
// only results. Returns their paths. A folder stays when its lock is held (its process lives,
// whatever its process id says: another PID namespace, another machine), when its process
// id is that of a live process of this host, when it belongs to another host, and when it
// holds anything else (a kept folder's KEPT.txt).
std::vector<std::string> remove_abandoned_scratch(const std::string& parent, const std::string& prefix);

// summary.json of a result folder (or the file itself). Throws InputError.
nlohmann::ordered_json read_summary(const std::string& folder_or_file);

// A figure of a summary by name: offered_rps, throughput_rps, mean_ms, p50_ms, p90_ms,
// p95_ms, p99_ms, p999_ms, max_ms, error_rate, availability, downtime_s, nines,
// bottleneck_utilization. nullopt when the summary has no value for it.
std::optional<double> summary_figure(const nlohmann::ordered_json& summary, const std::string& name);
const std::vector<std::string>& summary_figure_names();
// The JSON pointer of such a figure in summary.json (e.g. p99_ms: /latency_ms/p99).
std::string summary_figure_pointer(const std::string& name);

struct SloCondition {
  std::string figure;
  std::string op;  // <=, <, >=, >
  double value = 0;
  bool met_by(double x) const;
  std::string text() const;
};

// Parses "p99_ms<=200,error_rate<=0.001". Throws InputError naming `source`.
std::vector<SloCondition> parse_slo(const std::string& text, const std::string& source = "--slo");
// Whether the summary meets every condition; `why` gets the first unmet one. A summary of
// replications meets a condition only at the unfavourable end of the figure's interval.
bool meets_slo(const nlohmann::ordered_json& summary, const std::vector<SloCondition>& slo, std::string* why = nullptr);

}  // namespace archsim
