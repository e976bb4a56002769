"""The golden cases of tests/golden/cases.json: running one into a folder, and the list."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from common import ROOT, archsim  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "cases.json")) as f:
    CASES = json.load(f)
FILES = CASES["files"]


def run_case(name, out):
    """Runs golden case `name` from the repository root (summary.json records the scenario
    path as given) into folder `out`; raises on failure."""
    case = CASES["cases"][name]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = archsim("run", case["scenario"], "--quiet", "--out", out, *case["args"])
    finally:
        os.chdir(cwd)
    if result.returncode != 0:
        raise RuntimeError(f"golden case {name} failed:\n{result.stderr}")
