#pragma once
// The points of a parameter sweep and their table. A sweep varies one or more scenario
// values over a grid; each point runs into DIR/point-NNNN/, whose point.json records the
// scenario, seed, duration and values, so that `archsim collect DIR` can rebuild sweep.csv
// from finished folders however they were run (here, with GNU parallel, or on a cluster).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

struct Variation {
  std::string path;
  std::vector<std::string> values;  // as passed to --set
};

// Parses PATH=START:STOP:STEP or PATH=V1,V2,... Throws InputError.
Variation parse_variation(const std::string& text);

// Every combination, the first variation changing slowest. Throws InputError naming --vary
// when there are more than 100000 (before making any).
std::vector<std::vector<std::string>> sweep_grid(const std::vector<Variation>& variations);

std::string point_name(std::size_t index);  // "point-0001" for index 0

// Whether a file or folder of this name in a sweep folder is the sweep's own (points, the
// table, the Slurm script and its logs).
bool is_sweep_file(const std::string& name);

// Makes `directory` ready for a new sweep: it must be empty (or new), unless `force`, which
// removes the points, table and job files of an earlier sweep there: only those (a point
// folder holding files no run writes is the user's), and none of `inputs` (the scenario).
// Throws InputError naming --out.
void prepare_sweep_folder(const std::string& directory, bool force, const std::vector<std::string>& inputs);

// Builds sweep.csv from DIR/point-*/ (point.json and summary.json). Throws InputError
// listing the points that have no summary yet.
std::string sweep_table(const std::string& directory);

}  // namespace archsim
