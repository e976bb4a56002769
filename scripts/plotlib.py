"""Shared helpers of archsim's plotting scripts: plot_compare, plot_cdf, plot_sweep and
plot_timeline (all in this directory).

The scripts read only the files archsim writes:

- RESULT_DIR/summary.json, RESULT_DIR/timeseries.csv, RESULT_DIR/latency_histogram.csv
  and RESULT_DIR/events.csv (from `archsim run --out RESULT_DIR`);
- SWEEP_DIR/sweep.csv (one row per sweep point).

This module holds what they share: readers that turn every problem with an input file
(missing, unreadable, not JSON, a missing key or column, a value that is not a number, no
data) into an InputError whose message names the file; the common command-line options
(--out, --format, --title) and figure saving; run labels; and the small numeric
algorithms the figures rely on (knee detection, down-window spans, event-label
clustering), kept here so that tests can import them.

Importing this module does not import matplotlib: the scripts check their inputs first
and only then call load_pyplot(), which exits with status 2 and names the Debian package
python3-matplotlib when matplotlib is missing.
"""
import csv
import json
import math
import os
import re
import sys

FORMATS = ("png", "svg", "pdf")
DPI = 120

# Error causes in the order archsim writes them (summary.json and timeseries.csv), with
# one fixed colour each so that every figure uses the same colours.
ERROR_CAUSES = ("timeout", "rejected", "refused", "reset", "pool_timeout", "unavailable", "failed", "queue_full")
CAUSE_COLORS = {
    "timeout": "#d62728",
    "rejected": "#ff7f0e",
    "refused": "#9467bd",
    "reset": "#8c564b",
    "pool_timeout": "#e377c2",
    "unavailable": "#bcbd22",
    "failed": "#7f7f7f",
    "queue_full": "#17becf",
}

# Failure-timeline events (events.csv) by what they mean for the service.
FAILURE_EVENTS = {"host_down", "crashed", "cut", "partitioned", "degraded", "marks_down", "failover_started",
                  "flush"}
RECOVERY_EVENTS = {"host_up", "up", "reconnected", "healed", "restored", "marks_up", "promoted", "failover"}
EVENT_COLORS = {"failure": "#c0392b", "recovery": "#1e8449", "other": "#606060"}


class InputError(Exception):
    """A problem with an input file or argument; the message names the file."""


# --------------------------------------------------------------------------------------
# Program frame: errors, matplotlib, common options, saving


def fail(prog, message):
    """Prints `PROG: error: MESSAGE` on stderr and exits with status 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    sys.exit(2)


def note(prog, message):
    """Prints `PROG: note: MESSAGE` on stderr (something skipped, not an error)."""
    print(f"{prog}: note: {message}", file=sys.stderr)


def run_main(prog, main):
    """Runs main(): an InputError becomes a one-line message and exit status 2; any other
    exception, a bug, a one-line message and exit status 1 (as archsim does), with the
    traceback when the environment variable ARCHSIM_PLOT_DEBUG is set."""
    try:
        main()
    except InputError as error:
        fail(prog, str(error))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last resort of a command-line tool
        if os.environ.get("ARCHSIM_PLOT_DEBUG"):
            raise
        print(f"{prog}: internal error: {type(error).__name__}: {error} "
              f"(set ARCHSIM_PLOT_DEBUG=1 to see the traceback)", file=sys.stderr)
        sys.exit(1)


def load_pyplot(prog):
    """Imports matplotlib with the non-interactive Agg backend and returns pyplot.

    Exits with status 2 and a message naming the Debian package when matplotlib (or
    numpy, which it needs) is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        fail(prog, f"matplotlib is not available to {sys.executable} ({error}); install the Debian "
                   f"package python3-matplotlib (sudo apt-get install python3-matplotlib) and run "
                   f"this script with /usr/bin/python3")
    plt.rcParams.update({
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",
    })
    return plt


def add_output_arguments(parser, default_name):
    """Adds --out, --format and --title; default_name describes the default output file
    ("compare.FORMAT")."""
    group = parser.add_argument_group("output")
    group.add_argument("--out", metavar="FILE",
                       help=f"file to write, its path printed when written (default: {default_name} in "
                            f"a plots/ folder beside the first input folder, e.g. results/plots/ for "
                            f"results/NAME); its extension sets the format when --format is not given")
    group.add_argument("--format", choices=FORMATS,
                       help="image format: png (default), svg or pdf")
    group.add_argument("--title", metavar="TEXT", help="figure title (default: one naming the input)")


def output_target(args, default_name, first_input):
    """The (path, format) to write, from --out and --format.

    Without --out the plot goes into a plots/ folder beside the first input's folder, so
    that plots of results/NAME land in results/plots/ (which is ignored with results/)."""
    fmt = args.format
    if args.out:
        extension = os.path.splitext(args.out)[1].lower().lstrip(".")
        if fmt is None:
            fmt = extension if extension in FORMATS else "png"
        return args.out, fmt
    fmt = fmt or "png"
    return os.path.join(default_plots_folder(first_input), f"{safe_filename(default_name)}.{fmt}"), fmt


def default_plots_folder(first_input):
    """plots/ beside the folder of the first input (a result folder or a file inside one)."""
    folder = os.path.normpath(first_input if os.path.isdir(first_input) else os.path.dirname(first_input) or ".")
    if os.path.basename(folder) in (".", "..", ""):
        folder = os.path.abspath(folder)
    return os.path.join(os.path.dirname(folder), "plots")


def save_figure(fig, path, fmt):
    """Writes the figure (creating its folder) and prints its path on stdout."""
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path, format=fmt, dpi=DPI, metadata=None if fmt != "png" else {"Software": "archsim plots"})
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None
    print(path)


def safe_filename(text):
    """Text made safe for a file name: letters, digits, '.', '_', '-' only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned or "plot"


# --------------------------------------------------------------------------------------
# Reading result files


def parse_number(text):
    """A CSV or JSON value as a float; None for an empty or missing value, and for NaN
    and infinities, which cannot be drawn.

    Raises ValueError when the value is not a number."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(repr(text))
    if isinstance(text, (int, float)):
        value = float(text)
    elif isinstance(text, str):
        stripped = text.strip()
        if stripped.lower() in ("", "null", "none", "-", "n/a"):
            return None
        value = float(stripped)
    else:
        raise ValueError(repr(text))
    return value if math.isfinite(value) else None


def result_dir(path):
    """Checks that path is an existing folder; returns it."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such result folder")
    if not os.path.isdir(path):
        raise InputError(f"{path}: not a folder (expected a result folder written by `archsim run --out`)")
    return path


def read_json(path):
    """A JSON object read from path."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a JSON object")
    return doc


# The newest summary.json format these scripts know (CHANGES.md lists every change).
FORMAT_VERSION = 6


class Summary:
    """A run's summary.json, with checked access to its keys."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, "summary.json")
        self.doc = read_json(self.path)
        version = self.doc.get("format_version", 1)
        if isinstance(version, int) and version > FORMAT_VERSION:
            print(f"warning: {self.path} has format_version {version}; these scripts know up to "
                  f"{FORMAT_VERSION} (see CHANGES.md): update archsim's scripts", file=sys.stderr)

    def half_width(self, dotted, scale=1.0):
        """The half-width of the 95% interval of a dotted key (a summary that combines
        replications has one for every number; format 3), or None."""
        intervals = self.doc.get("intervals")
        if not isinstance(intervals, dict):
            return None
        entry = intervals.get("/" + dotted.replace(".", "/"))
        if not isinstance(entry, dict) or not isinstance(entry.get("half_width"), (int, float)):
            return None
        return entry["half_width"] * abs(scale)

    def value(self, dotted):
        """The value at a dotted key such as "latency_ms.p99"; InputError when missing."""
        node = self.doc
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InputError(f"{self.path}: missing key '{dotted}'")
            node = node[part]
        return node

    def number(self, dotted):
        """A numeric value (float), or None when it is null."""
        value = self.value(dotted)
        try:
            return parse_number(value)
        except ValueError:
            raise InputError(f"{self.path}: key '{dotted}' is not a number: {value!r}") from None

    def optional_number(self, dotted):
        """Like number() but None when the key is missing too."""
        try:
            return self.number(dotted)
        except InputError:
            return None

    def scenario(self):
        """The scenario name, or the folder's name when summary.json has none."""
        name = self.doc.get("scenario")
        if isinstance(name, str) and name.strip():
            return name.strip()
        return folder_name(self.folder)


def read_summary(folder, required=()):
    """The checked Summary of a result folder; every dotted key in required must exist."""
    summary = Summary(result_dir(folder))
    for key in required:
        summary.value(key)
    return summary


class Table:
    """A CSV file read into memory: columns, rows (dicts) and their line numbers."""

    def __init__(self, path, columns, rows, lines):
        self.path = path
        self.columns = columns
        self.rows = rows
        self.lines = lines

    def __len__(self):
        return len(self.rows)

    def has(self, column):
        return column in self.columns

    def number(self, index, column):
        """The value of column in row index as a float, None when empty."""
        text = self.rows[index].get(column)
        try:
            return parse_number(text)
        except ValueError:
            raise InputError(f"{self.path}, line {self.lines[index]}: column '{column}' "
                             f"is not a number: {text!r}") from None

    def numbers(self, column):
        """Every row's value of column (floats, None when empty)."""
        return [self.number(i, column) for i in range(len(self.rows))]

    def strings(self, column):
        """Every row's value of column as stripped text ('' when missing)."""
        return [(row.get(column) or "").strip() for row in self.rows]


def read_csv(path, required=(), what="file"):
    """Reads a CSV file with a header line; every column in required must exist.

    what describes the file in the message when it is missing."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: empty file (expected a CSV header line)")
            columns = [name.strip() for name in header]
            rows, lines = [], []
            for fields in reader:
                if not fields or all(not field.strip() for field in fields):
                    continue
                rows.append(dict(zip(columns, fields)))
                lines.append(reader.line_num)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a valid CSV file: {error}") from None
    missing = [name for name in required if name not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"{path}: missing column{plural} {', '.join(missing)}")
    return Table(path, columns, rows, lines)


def read_result_csv(folder, name, required=()):
    """A CSV file of a result folder (name such as "timeseries.csv")."""
    return read_csv(os.path.join(result_dir(folder), name), required, what="file in this result folder")


def folder_name(path):
    """The last component of a folder path ("results/step1/" gives "step1")."""
    return os.path.basename(os.path.normpath(os.path.abspath(path))) or path


def run_label(folder):
    """A run's label: its scenario name from summary.json, else the folder's name."""
    try:
        return Summary(folder).scenario()
    except InputError:
        return folder_name(folder)


def unique_labels(names):
    """Names with duplicates told apart: the second "a" becomes "a #2", the third "a #3"."""
    seen = {}
    labels = []
    taken = set(names)
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        label = name
        if count > 1:
            label = f"{name} #{count}"
            while label in taken:
                count += 1
                seen[name] = count
                label = f"{name} #{count}"
        taken.add(label)
        labels.append(label)
    return labels


# --------------------------------------------------------------------------------------
# Formatting


def format_number(value, unit=""):
    """A value with three significant digits, thousands without exponent ("1,234")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip() if unit else text


def format_nines(nines, nines_at_least):
    """The nines of availability for a label: "2.35 nines", ">= 4 nines" or ""."""
    if nines is not None and math.isfinite(nines):
        return f"{nines:.2f} nines"
    if nines_at_least is not None and math.isfinite(nines_at_least):
        return f">= {nines_at_least:g} nines"
    return ""


def log_axis(axis):
    """Makes a matplotlib Axis (ax.yaxis or ax.xaxis) logarithmic with readable ticks,
    written as plain numbers (0.5, 20, 1,000): 1, 2, 3, 5 and 7 times the powers of ten
    over a short range, 1, 2 and 5 times them over a few decades, the powers alone over
    a wide range. Call it once the data are plotted. Returns False, leaving the axis
    linear, when no data are positive."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    ax = axis.axes
    low, high = axis.get_data_interval()
    if not (math.isfinite(high) and high > 0):
        return False  # nothing positive to show: stay linear
    if axis.axis_name == "x":
        ax.set_xscale("log")
    else:
        ax.set_yscale("log")
    ax.autoscale_view()
    low, high = sorted(axis.get_view_interval())
    decades = math.log10(high / low) if low > 0 and high > 0 else 10.0
    if decades < 1.3:
        subs = (1.0, 2.0, 3.0, 5.0, 7.0)
    elif decades < 4.5:
        subs = (1.0, 2.0, 5.0)
    else:
        subs = (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}"))
    axis.set_minor_locator(LogLocator(base=10, subs=[k for k in range(1, 10) if k not in subs]))
    axis.set_minor_formatter(NullFormatter())
    return True


def headroom(ax, fraction=0.25):
    """Raises the top of a y axis (linear or logarithmic) by fraction of its height, to
    leave room for a legend above the data."""
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log" and low > 0 and high > 0:
        ax.set_ylim(low, high * (high / low) ** fraction)
    else:
        ax.set_ylim(low, high + (high - low) * fraction)


# --------------------------------------------------------------------------------------
# Algorithms used by the figures


def find_knee(xs, ys, slo=None):
    """The knee of a latency-versus-load curve, as (index, reason), or None.

    xs must be in increasing order. With an SLO the knee is the first point whose
    latency exceeds it (reason "slo"); with none exceeding it there is no knee. Without
    an SLO it is the point of maximum curvature found by the Kneedle method (both axes
    scaled to [0, 1], the point furthest below the chord from the first to the last
    point; reason "curvature"), provided the latency at least doubles over the curve:
    a flat curve has no knee. When the curve ends lower than it starts, the knee is the
    first point after its lowest one with twice that latency (reason "doubling"), if
    any. Points whose latency is None are ignored."""
    points = [(i, x, y) for i, (x, y) in enumerate(zip(xs, ys)) if x is not None and y is not None]
    if slo is not None:
        for index, _, y in points:
            if y > slo:
                return index, "slo"
        return None
    if len(points) < 3:
        return None
    y_min = min(y for _, _, y in points)
    y_max = max(y for _, _, y in points)
    if y_min <= 0 or y_max < 2 * y_min:
        return None
    _, x_first, y_first = points[0]
    _, x_last, y_last = points[-1]
    if x_last == x_first or y_last <= y_first:
        # Not an increasing curve over its range: the first point after the lowest
        # latency that doubles it, if any.
        lowest = min(range(len(points)), key=lambda k: points[k][2])
        for index, _, y in points[lowest + 1:]:
            if y > 2 * y_min:
                return index, "doubling"
        return None
    best, best_distance = None, 0.0
    for index, x, y in points:
        distance = (x - x_first) / (x_last - x_first) - (y - y_first) / (y_last - y_first)
        if distance > best_distance:
            best, best_distance = index, distance
    return (best, "curvature") if best is not None else None


def true_spans(starts, flags, width):
    """Merges consecutive windows whose flag is true into (start, end) spans.

    starts are window start times in increasing order, each window width long."""
    spans = []
    for start, flag in zip(starts, flags):
        if start is None or not flag:
            continue
        end = start + width
        if spans and start <= spans[-1][1] + 1e-9 * max(1.0, abs(start)):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def event_kind(event):
    """'failure', 'recovery' or 'other' for an events.csv event name."""
    if event in FAILURE_EVENTS:
        return "failure"
    if event in RECOVERY_EVENTS:
        return "recovery"
    return "other"


def cluster_events(events, line_width, max_labels=30, max_lines=3):
    """Groups failure-timeline events and chooses which groups to label, without clutter.

    events is a list of (t, component, event) in time order. A label is written rotated
    by 90 degrees just after its time, one line per component ("db-1 host_up, starting"),
    so a label of n lines covers the time axis from its time t to t + n * line_width.
    An event joins the previous group when it falls at nearly the same time (less than
    half a line_width after the group's first event), or when it falls under the group's
    label and the label has fewer than max_lines lines (so that its line sits next to
    its event). A label keeps at most max_lines lines, the last one then saying how many
    components were left out. Labels are then placed by priority (groups holding
    failures first, then recoveries, then the others; earlier first within each), each
    only if it does not overlap a label already placed, up to max_labels labels.

    Returns (groups, unlabelled): groups is a list of dicts with t (the first event's
    time), label (None when not labelled) and kind (the most severe event's kind, see
    event_kind); unlabelled is the number of groups left without a label."""
    groups = []
    for t, component, event in events:
        if groups:
            group = groups[-1]
            components = group["components"]
            lines = len(components) + (component not in components)
            covered = t < group["t"] + len(components) * line_width
            if t - group["t"] < line_width / 2 or (covered and lines <= max_lines):
                components.setdefault(component, [])
                if event not in components[component]:
                    components[component].append(event)
                group["kinds"].append(event_kind(event))
                continue
        groups.append({"t": t, "components": {component: [event]}, "kinds": [event_kind(event)]})
    severity = {"failure": 0, "recovery": 1, "other": 2}
    for group in groups:
        group["kind"] = min(group.pop("kinds"), key=severity.get)
        lines = [f"{component} {', '.join(names)}" for component, names in group.pop("components").items()]
        if len(lines) > max_lines:
            lines = lines[:max_lines - 1] + [f"(+{len(lines) - max_lines + 1} more)"]
        group["label"] = "\n".join(lines)
    placed = []  # (low, high) extents of the labels placed
    unlabelled = 0
    for index in sorted(range(len(groups)), key=lambda i: (severity[groups[i]["kind"]], i)):
        group = groups[index]
        low = group["t"]
        high = low + (group["label"].count("\n") + 1) * line_width
        if len(placed) < max_labels and all(high <= a or low >= b for a, b in placed):
            placed.append((low, high))
        else:
            group["label"] = None
            unlabelled += 1
    return groups, unlabelled
