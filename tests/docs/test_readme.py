#!/usr/bin/env python3
"""The README's example scenario is valid, and its `// required:` marks are true.

Every key of the example is removed in turn and the copy validated: the keys whose removal
the validator reports as a missing required key (or a step left without its one defining
key) must be exactly the keys named in a `// required:` comment on the key's line.

Run with ARCHSIM=path/to/archsim (default build/archsim)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARCHSIM = os.environ.get("ARCHSIM", os.path.join(ROOT, "build", "archsim"))
README = os.path.join(ROOT, "README.md")
MISSING = ("required key is missing", "must have exactly one of the keys")


def example_lines():
    """The lines of the README's first jsonc block."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"```jsonc\n(.*?)```", text, re.S)
    if not match:
        raise AssertionError("README.md has no ```jsonc example")
    return match.group(1).splitlines()


def split_comment(line):
    """(code, comment) of one jsonc line; '//' inside a string is not a comment."""
    in_string = escaped = False
    for i, ch in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif line.startswith("//", i):
            return line[:i], line[i + 2:]
    return line, ""


class Parser:
    """A JSON parser that records the line of every object key, by JSON pointer."""

    def __init__(self, lines):
        self.text = "\n".join(lines)
        self.pos = 0
        self.key_lines = {}

    def line(self):
        return self.text.count("\n", 0, self.pos) + 1

    def skip(self):
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def value(self, pointer):
        self.skip()
        ch = self.text[self.pos]
        if ch == "{":
            return self.object(pointer)
        if ch == "[":
            return self.array(pointer)
        decoded, end = json.JSONDecoder().raw_decode(self.text, self.pos)
        self.pos = end
        return decoded

    def object(self, pointer):
        result = {}
        self.pos += 1
        self.skip()
        if self.text[self.pos] == "}":
            self.pos += 1
            return result
        while True:
            self.skip()
            line = self.line()
            key, self.pos = json.JSONDecoder().raw_decode(self.text, self.pos)
            child = f"{pointer}/{key}"
            self.key_lines[child] = line
            self.skip()
            assert self.text[self.pos] == ":", self.text[self.pos:self.pos + 20]
            self.pos += 1
            result[key] = self.value(child)
            self.skip()
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "}":
                return result
            assert ch == ",", ch

    def array(self, pointer):
        result = []
        self.pos += 1
        self.skip()
        if self.text[self.pos] == "]":
            self.pos += 1
            return result
        while True:
            result.append(self.value(f"{pointer}/{len(result)}"))
            self.skip()
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "]":
                return result
            assert ch == ",", ch


def without(document, pointer):
    """A deep copy of the document without the key at pointer."""
    copy = json.loads(json.dumps(document))
    parts = pointer.split("/")[1:]
    node = copy
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[parts[-1]]
    return copy


class ReadmeExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lines = example_lines()
        codes, cls.marks = [], {}
        for number, line in enumerate(lines, start=1):
            code, comment = split_comment(line)
            codes.append(code)
            mark = re.match(r"\s*required:\s*(.*)$", comment)
            if mark:
                cls.marks[number] = {name.strip() for name in mark.group(1).split(",") if name.strip()}
        parser = Parser(codes)
        cls.document = parser.value("")
        cls.key_lines = parser.key_lines
        cls.tmp = tempfile.mkdtemp(prefix="archsim-readme-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def validate(self, documents):
        """{name: validator output} for each named document, in one archsim call."""
        paths = []
        for name, document in documents.items():
            path = os.path.join(self.tmp, f"{name}.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(document, f)
            paths.append(path)
        result = subprocess.run([ARCHSIM, "validate", *paths], capture_output=True, text=True, timeout=120)
        self.assertIn(result.returncode, (0, 2), result.stderr)
        outputs = {name: "" for name in documents}
        for line in (result.stdout + result.stderr).splitlines():
            for name in documents:
                if line.startswith(os.path.join(self.tmp, f"{name}.json") + ":"):
                    outputs[name] += line + "\n"
        return outputs

    def test_example_is_valid(self):
        output = self.validate({"example": self.document})["example"]
        self.assertRegex(output, r"^\S+: ok \(")

    def test_required_marks_match_the_schema(self):
        pointers = sorted(self.key_lines)
        documents = {f"k{i}": without(self.document, pointer) for i, pointer in enumerate(pointers)}
        outputs = self.validate(documents)
        reported = {}
        for i, pointer in enumerate(pointers):
            parent = pointer.rsplit("/", 1)[0]
            missing = [line for line in outputs[f"k{i}"].splitlines()
                       if any(rule in line for rule in MISSING) and (f": {pointer}:" in line or f": {parent}:" in line
                                                                      or f": {parent or '(root)'}" in line)]
            if missing:
                reported.setdefault(self.key_lines[pointer], set()).add(pointer.rsplit("/", 1)[1])
        problems = []
        for line in sorted(set(reported) | set(self.marks)):
            have, said = reported.get(line, set()), self.marks.get(line, set())
            if have != said:
                problems.append(f"example line {line}: required {sorted(have)}, marked {sorted(said)}")
        self.assertEqual([], problems)


if __name__ == "__main__":
    unittest.main()
