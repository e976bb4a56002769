"""Shared helpers of archsim's Python tests (run with Debian's /usr/bin/python3)."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARCHSIM = os.environ.get("ARCHSIM", os.path.join(ROOT, "build", "archsim"))


def require_modules(*names):
    """Fails clearly when this interpreter lacks a Debian Python package."""
    missing = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        sys.exit(f"{sys.executable} lacks the Python modules {', '.join(missing)}: "
                 f"install the Debian packages (scripts/install-deps) and run the tests with /usr/bin/python3")


# AddressSanitizer's notice that it cannot follow SimGrid's stack switches (sanitizer lane
# only): three lines that are not archsim's output.
_SANITIZER_NOTICE = ("WARNING: ASan is ignoring requested __asan_handle_no_return", "False positive error reports may follow",
                     "For details see https://github.com/google/sanitizers/issues/189")


def archsim(*args, check=False):
    """Runs archsim; returns the CompletedProcess (text mode), stderr without sanitizer notices."""
    result = subprocess.run([ARCHSIM, *args], capture_output=True, text=True, check=check)
    if any(n in result.stderr for n in _SANITIZER_NOTICE):
        result.stderr = "".join(line for line in result.stderr.splitlines(keepends=True)
                                if not any(n in line for n in _SANITIZER_NOTICE))
    return result


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def load_merged(path):
    """A scenario file with its extends chain applied."""
    with open(path) as f:
        doc = json.load(f)
    if isinstance(doc, dict) and "extends" in doc:
        base = load_merged(os.path.join(os.path.dirname(path), doc["extends"]))
        doc = merge_patch(base, {k: v for k, v in doc.items() if k != "extends"})
    return doc
