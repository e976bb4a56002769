#!/usr/bin/python3
"""Layering is enforced by the build: every layer compiles against the include roots of the
layers it declares, so an upward include does not compile. This checks that each source
file sees exactly the folders its layer may use (the table below is the architecture of
docs/architecture.md), and that an include of a layer above does fail to compile.

usage: test_layers.py BUILD_DIR"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, "build")

# What each layer may include (its own folder and those below it).
BASE = {"core"}
SCENARIO = BASE | {"scenario"}
RUNTIME = SCENARIO | {"engine", "platform", "analysis", "recording", "components"}
ALLOWED = {
    "core": BASE,
    "scenario": SCENARIO,
    "kind_specs": SCENARIO | {"kinds"},
    "results": SCENARIO | {"results"},
    "study": SCENARIO | {"results", "study"},
    "analysis": SCENARIO | {"analysis"},
    "recording": SCENARIO | {"analysis", "recording"},
    "platform": SCENARIO | {"platform"},
    "engine": BASE | {"engine"},
    "components": RUNTIME,
    "kinds": RUNTIME | {"kinds"},
    "simulation": RUNTIME | {"simulation"},
    "cli": RUNTIME | {"kinds", "simulation", "results", "study", "cli"},
}
# A header of a layer above each one, which it must not be able to include.
ABOVE = {
    "core": "scenario/scenario.hpp",
    "scenario": "components/service.hpp",
    "kind_specs": "components/service.hpp",
    "results": "recording/recorder.hpp",
    "study": "simulation/simulation.hpp",
    "analysis": "kinds/catalog.hpp",
    "recording": "engine/message.hpp",
    "platform": "engine/message.hpp",
    "engine": "scenario/scenario.hpp",
    "components": "kinds/catalog.hpp",
    "kinds": "simulation/simulation.hpp",
    "simulation": "kinds/catalog.hpp",
}

# A header of each layer's own, which it can include (others: the first of its folder).
OWN_HEADER = {"kind_specs": "kinds/catalog.hpp", "kinds": "kinds/runtime_catalog.hpp"}


def layer_of(source):
    parts = os.path.relpath(source, os.path.join(ROOT, "src")).split(os.sep)
    if parts[0] == "kinds" and (source.endswith("_kind.cpp") or parts[-1] == "catalog.cpp"):
        return "kind_specs"
    return parts[0]


def sources():
    with open(os.path.join(BUILD, "compile_commands.json")) as f:
        for entry in json.load(f):
            if entry["file"].startswith(os.path.join(ROOT, "src") + os.sep):
                yield entry


def visible_folders(command):
    folders = set()
    for root in re.findall(r"-I(\S+/include-roots/\S+)", command):
        folders.update(os.listdir(root))
    return folders


class LayersTest(unittest.TestCase):
    def test_each_source_sees_only_its_layers(self):
        seen = set()
        for entry in sources():
            layer = layer_of(entry["file"])
            seen.add(layer)
            with self.subTest(file=os.path.relpath(entry["file"], ROOT)):
                self.assertIn(layer, ALLOWED)
                self.assertEqual(ALLOWED[layer], visible_folders(entry["command"]))
        self.assertEqual(set(ALLOWED), seen)

    def test_an_upward_include_does_not_compile(self):
        done = set()
        for entry in sources():
            layer = layer_of(entry["file"])
            if layer in done or layer not in ABOVE:
                continue
            done.add(layer)
            args = shlex.split(entry["command"])
            flags = [a for a in args[1:] if a.startswith(("-I", "-D", "-std"))]
            with self.subTest(layer=layer), tempfile.TemporaryDirectory() as d:
                probe = os.path.join(d, "probe.cpp")
                with open(probe, "w") as f:
                    f.write(f'#include "{ABOVE[layer]}"\n')
                result = subprocess.run([args[0], *flags, "-fsyntax-only", probe], capture_output=True, text=True,
                                        cwd=entry["directory"])
                self.assertNotEqual(0, result.returncode, f"{layer} can include {ABOVE[layer]}")
                self.assertIn("No such file", result.stderr)
                own = OWN_HEADER.get(layer) or f"{layer}/" + sorted(
                    h for h in os.listdir(os.path.join(ROOT, "src", layer)) if h.endswith(".hpp"))[0]
                with open(probe, "w") as f:
                    f.write(f'#include "{own}"\n')
                ok = subprocess.run([args[0], *flags, "-fsyntax-only", probe], capture_output=True, text=True,
                                    cwd=entry["directory"])
                self.assertEqual(0, ok.returncode, ok.stderr)
        self.assertEqual(set(ABOVE), done)


class DefaultsTest(unittest.TestCase):
    def test_typing_code_invents_no_default(self):
        # Defaults are the schema's (filled into the document before typing): the code that
        # types scenarios never reads a JSON value with a fallback of its own.
        pattern = re.compile(r"\.value\(\s*\"[^\"]*\"\s*,")
        folders = [os.path.join(ROOT, "src", "scenario"), os.path.join(ROOT, "src", "kinds")]
        for folder in folders:
            for root, _, files in os.walk(folder):
                for name in files:
                    path = os.path.join(root, name)
                    with open(path) as f:
                        for number, line in enumerate(f, 1):
                            self.assertIsNone(pattern.search(line), f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")


if __name__ == "__main__":
    unittest.main()
