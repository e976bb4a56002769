#!/usr/bin/python3
"""The published JSON Schema and archsim's own validator agree.

- every shipped scenario (and validation scenario) is valid under scenarios/schema.json
  once its extends chain is merged, and patch files are valid under patch-schema.json;
- every sample in tests/invalid/schema/ is rejected by python3-jsonschema AND by
  `archsim validate` (exit 2): the two validators reject the same files;
- hardware profiles in platforms/ are valid profiles;
- patch-schema.json is in sync with schema.json.
"""
import glob
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, archsim, load_merged, require_modules  # noqa: E402

require_modules("jsonschema")
import jsonschema  # noqa: E402

with open(os.path.join(ROOT, "scenarios", "schema.json")) as f:
    SCHEMA = json.load(f)
with open(os.path.join(ROOT, "scenarios", "patch-schema.json")) as f:
    PATCH_SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
PATCH_VALIDATOR = jsonschema.Draft202012Validator(PATCH_SCHEMA)
PROFILE_VALIDATOR = jsonschema.Draft202012Validator({"$ref": "#/$defs/profile", "$defs": SCHEMA["$defs"]})


def scenario_files():
    return sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.json")) +
                  glob.glob(os.path.join(ROOT, "tests", "validation", "*.json")))


class SchemaTest(unittest.TestCase):
    def test_schema_is_a_valid_schema(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)
        jsonschema.Draft202012Validator.check_schema(PATCH_SCHEMA)

    def test_shipped_scenarios_are_valid(self):
        files = [f for f in scenario_files() if not f.endswith("schema.json")]
        self.assertTrue(files)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    raw = json.load(f)
                if "extends" in raw:
                    errors = list(PATCH_VALIDATOR.iter_errors(raw))
                    self.assertEqual([], [e.message for e in errors], "patch file invalid")
                errors = list(VALIDATOR.iter_errors(load_merged(path)))
                self.assertEqual([], [e.message for e in errors])
                self.assertEqual(0, archsim("validate", path).returncode)

    def test_both_validators_reject_the_same_bad_files(self):
        files = sorted(glob.glob(os.path.join(ROOT, "tests", "invalid", "schema", "*.json")))
        self.assertGreaterEqual(len(files), 10)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    doc = json.load(f)
                self.assertFalse(VALIDATOR.is_valid(doc), "python3-jsonschema accepts it")
                self.assertEqual(2, archsim("validate", path).returncode, "archsim accepts it")

    def test_profiles_are_valid(self):
        for path in glob.glob(os.path.join(ROOT, "platforms", "*.json")):
            if path.endswith("schema.json"):
                continue
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    errors = [e.message for e in PROFILE_VALIDATOR.iter_errors(json.load(f))]
                self.assertEqual([], errors)

    def test_patch_schema_is_fresh(self):
        result = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make-patch-schema"), "--check"],
                                capture_output=True, text=True)
        self.assertEqual(0, result.returncode, result.stdout)


if __name__ == "__main__":
    unittest.main()
