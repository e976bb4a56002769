#!/usr/bin/python3
"""Golden results: every shipped step scenario, at a fixed seed and a short duration, must
give byte-identical summary.json, timeseries.csv and events.csv. A change here is either
a bug or a deliberate change of the model or of a file format: then regenerate them with
scripts/make-golden and say why in the commit message."""
import difflib
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from golden import CASES, FILES, HERE, run_case  # noqa: E402


class GoldenTest(unittest.TestCase):
    def test_every_step_scenario_has_a_case(self):
        scenarios = os.path.join(HERE, "..", "..", "scenarios")
        shipped = {f[:-5] for f in os.listdir(scenarios) if f.startswith("step") and f.endswith(".json")}
        self.assertEqual(shipped, set(CASES["cases"]))

    def test_results_are_byte_identical(self):
        for name in sorted(CASES["cases"]):
            with self.subTest(case=name), tempfile.TemporaryDirectory() as out:
                run_case(name, out)
                for file in FILES:
                    with open(os.path.join(HERE, name, file), "rb") as f:
                        expected = f.read()
                    with open(os.path.join(out, file), "rb") as f:
                        got = f.read()
                    if got != expected:
                        diff = "".join(list(difflib.unified_diff(
                            expected.decode().splitlines(True), got.decode().splitlines(True),
                            f"golden/{name}/{file}", f"new/{name}/{file}", n=1))[:40])
                        self.fail(f"{name}/{file} differs from the golden file (scripts/make-golden "
                                  f"regenerates them on purpose):\n{diff}")


if __name__ == "__main__":
    unittest.main()
