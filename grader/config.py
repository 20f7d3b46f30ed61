"""The course configuration file (``course.toml``): loaded and validated once, at the boundary.

Every key is optional; a course without the file grades exactly as its suites declare. What
the file may say (the bundled ``course.toml`` documents each key with an example):

| table                              | key                  | meaning                                        |
|------------------------------------|----------------------|------------------------------------------------|
| ``[course]``                       | ``seed``             | the seed every test's seed derives from        |
|                                    | ``max_examples``     | example budget of every test (overrides suites)|
|                                    | ``assignments``      | the assignment ids this course uses (a subset   |
|                                    |                      | of ``assignments/``; omitted: every one)        |
| ``[late_policy]``                  | ``penalty_per_day``  | percent of the score lost per started day late |
|                                    | ``grace_period_minutes`` | lateness forgiven entirely                 |
|                                    | ``max_penalty``      | cap on the penalty, percent                    |
|                                    | ``due``              | course-wide due date (offset date-time)        |
| ``[visibility]``                   | ``visible_tests``    | platform visibility of the visible suite's tests|
|                                    | ``hidden_tests``     | platform visibility of the hidden suite's tests |
|                                    | ``show_hidden_inputs`` | show hidden tests' counterexamples           |
|                                    | ``stdout_visibility``| Gradescope's ``stdout_visibility``              |
| ``[assignments.<id>]``             | ``points``           | the assignment's maximum score                 |
|                                    | ``due``              | its due date (wins over the platform's)        |
|                                    | ``max_examples``     | example budget of its tests                    |
| ``[assignments.<id>.tests."<name>"]`` | ``points``        | the test's weight within its assignment        |
|                                    | ``visibility``       | its platform visibility                        |
|                                    | ``max_examples``     | its example budget                             |
| ``[similarity]``                   | ``threshold``        | score from which a pair is flagged, in [0, 1]  |
|                                    | ``min_tokens``       | tokens of its own a submission needs to be paired |
|                                    | ``common_share``     | share of the class beyond which code is common |
| ``[notebooks]``                    | ``skip_tag``         | cells with this tag are not graded             |
|                                    | ``max_mb``           | a larger notebook is a graded ``error``        |
| ``[notebooks.files]``              | ``"<name>.ipynb"``   | the assignment ids that notebook holds         |
| ``[time_limits]``                  | ``call_floor_s``     | a call of the student's may always take this   |
|                                    | ``reference_factor`` | ... or this many times the reference's time    |
|                                    | ``after_timeout_floor_s`` | the floor once a function ran out of time |
|                                    | ``strikes``          | timeouts after which a function is not called  |
|                                    | ``import_cpu_s``     | CPU seconds a student file may use at import   |

Errors name the file, the key and what was expected, e.g.
``course.toml: [assignments.iou] points: expected a number >= 0, got "ten"``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.checks.time_budget import TimeLimits
from grader.errors import CourseError
from grader.notebooks.preparing import NotebookSettings
from grader.spec.model import AssignmentSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILE = "course.toml"
DEFAULT_SEED = 20261123
PLATFORM_VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class LatePolicy:
    """Late submissions lose ``penalty_per_day`` percent per started day past the due date,
    at most ``max_penalty`` percent; lateness up to ``grace_period_minutes`` is forgiven."""

    penalty_per_day: float = 0.0
    grace_period_minutes: float = 0.0
    max_penalty: float = 100.0
    due: _dt.datetime | None = None

    def penalty_percent(self, submitted_at: _dt.datetime, due: _dt.datetime | None) -> float:
        """The percent of the score lost by a submission made at ``submitted_at``."""
        if due is None:
            return 0.0
        late_s = (submitted_at - due).total_seconds()
        if late_s <= self.grace_period_minutes * 60.0:
            return 0.0
        days = math.ceil(late_s / 86400.0)
        return min(self.max_penalty, days * self.penalty_per_day)


@dataclass(frozen=True)
class TestConfig:
    points: float | None = None
    visibility: str | None = None
    max_examples: int | None = None


@dataclass(frozen=True)
class AssignmentConfig:
    points: float | None = None
    due: _dt.datetime | None = None
    max_examples: int | None = None
    tests: Mapping[str, TestConfig] = field(default_factory=dict)


@dataclass(frozen=True)
class SimilarityConfig:
    """How ``grader similarity`` flags pairs: a pair scoring ``threshold`` or more (the share of the
    smaller submission's fingerprints found in the other) is listed, if both submissions have
    ``min_tokens`` tokens of their own beyond the stub; a fingerprint held by more than
    ``common_share`` of the submissions (and more than 20) is common code, evidence for no one."""

    threshold: float = 0.4
    min_tokens: int = 50
    common_share: float = 0.2


@dataclass(frozen=True)
class CourseConfig:
    """A validated ``course.toml`` (or the defaults, when the course has none)."""

    seed: int = DEFAULT_SEED
    max_examples: int | None = None
    selected: tuple[str, ...] | None = None  # [course] assignments; None: every assignment offered
    late_policy: LatePolicy = field(default_factory=LatePolicy)
    visible_tests: str = "visible"
    hidden_tests: str = "hidden"
    show_hidden_inputs: bool = False
    stdout_visibility: str = "hidden"
    assignments: Mapping[str, AssignmentConfig] = field(default_factory=dict)
    similarity: SimilarityConfig = field(default_factory=SimilarityConfig)
    notebooks: NotebookSettings = field(default_factory=NotebookSettings)
    time_limits: TimeLimits = field(default_factory=TimeLimits)
    source: str = ""  # the file it came from, for error messages

    def visibility(self, assignment_id: str, test_name: str, suite_visibility: str) -> str:
        """A test's visibility on a platform: its own setting, else its suite's default."""
        test = self.assignments.get(assignment_id, AssignmentConfig()).tests.get(test_name)
        if test is not None and test.visibility is not None:
            return test.visibility
        return self.visible_tests if suite_visibility == "visible" else self.hidden_tests

    def due(self, assignment_id: str) -> _dt.datetime | None:
        """The assignment's own due date, if the file gives one."""
        assignment = self.assignments.get(assignment_id)
        return assignment.due if assignment is not None else None

    def apply(self, specs: tuple[AssignmentSpec, ...], *, has_hidden: bool,
              folders: tuple[str, ...] = ()) -> tuple[AssignmentSpec, ...]:
        """The specs with points, weights and example budgets from this file.

        An assignment id must be a loaded assignment or a folder of ``assignments/`` (one still
        being written has no suite yet). Test names are checked only when the hidden suites
        were loaded: without them a name may well be a hidden test's."""
        by_id = {s.id: s for s in specs}
        for assignment_id in self.assignments:
            if assignment_id not in by_id and assignment_id not in folders:
                raise CourseError(f"{self.source}: [assignments.{assignment_id}]: no such assignment "
                                  f"(known: {', '.join(sorted(by_id))})")
        for notebook, ids in self.notebooks.files:
            for assignment_id in ids:
                if assignment_id not in by_id and assignment_id not in folders:
                    raise CourseError(f"{self.source}: [notebooks.files] {json.dumps(notebook)}: no such assignment "
                                      f"{json.dumps(assignment_id)} (known: {', '.join(sorted(by_id))})")
        out = []
        for spec in specs:
            conf = self.assignments.get(spec.id)
            if conf is None:
                out.append(replace(spec, tests=tuple(self._budget(t, None, None) for t in spec.tests)))
                continue
            names = {t.name for t in spec.tests}
            unknown = sorted(set(conf.tests) - names)
            if unknown and has_hidden:
                raise CourseError(f"{self.source}: [assignments.{spec.id}.tests]: no test named "
                                  f"{json.dumps(unknown[0])} in assignment {spec.id!r}")
            tests = tuple(self._budget(t, conf, conf.tests.get(t.name)) for t in spec.tests)
            out.append(replace(spec, tests=tests,
                               max_score=spec.max_score if conf.points is None else conf.points))
        return tuple(out)

    def _budget(self, test, conf: AssignmentConfig | None, test_conf: TestConfig | None):  # type: ignore[no-untyped-def]
        changes: dict[str, Any] = {}
        for budget in (self.max_examples, conf and conf.max_examples, test_conf and test_conf.max_examples):
            if budget is not None:
                changes["max_examples"] = budget
        if test_conf is not None and test_conf.points is not None:
            changes["points"] = test_conf.points
        return replace(test, **changes) if changes else test


# --- loading and validation ------------------------------------------------------------------

_COURSE_KEYS = {"seed", "max_examples", "assignments"}
_LATE_KEYS = {"penalty_per_day", "grace_period_minutes", "max_penalty", "due"}
_VISIBILITY_KEYS = {"visible_tests", "hidden_tests", "show_hidden_inputs", "stdout_visibility"}
_ASSIGNMENT_KEYS = {"points", "due", "max_examples", "tests"}
_TEST_KEYS = {"points", "visibility", "max_examples"}
_SIMILARITY_KEYS = {"threshold", "min_tokens", "common_share"}
_NOTEBOOK_KEYS = {"files", "skip_tag", "max_mb"}
_TIME_KEYS = {"call_floor_s", "reference_factor", "after_timeout_floor_s", "strikes", "import_cpu_s"}
_TOP_KEYS = {"course", "late_policy", "visibility", "assignments", "similarity", "notebooks", "time_limits"}


class _Reader:
    """Typed access to one TOML table, raising errors that name the file, table and key."""

    def __init__(self, source: str, table: str, data: Any, allowed: set[str]) -> None:
        self.source, self.table = source, table
        if not isinstance(data, dict):
            self.fail(None, "expected a table", data)
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(unknown[0], f"unknown key (expected one of: {', '.join(sorted(allowed))})", None)
        self.data = data

    def fail(self, key: str | None, expected: str, got: Any) -> None:
        where = f"[{self.table}]" if self.table else "top level"
        key_part = f" {key}:" if key else ""
        got_part = f", got {_show(got)}" if got is not None else ""
        raise CourseError(f"{self.source}: {where}{key_part} {expected}{got_part}")

    def number(self, key: str, *, minimum: float = 0.0, maximum: float | None = None) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum:g}" if maximum is None else f"in [{minimum:g}, {maximum:g}]"
            self.fail(key, f"expected a number {bound}", value)
        return float(value)

    def integer(self, key: str, *, minimum: int) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(key, f"expected an integer >= {minimum}", value)
        return int(value)

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(key, "expected true or false", value)
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.data.get(key)
        if value is not None and value not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}", value)
        return value

    def names(self, key: str) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if (not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value)
                or len(set(value)) != len(value)):
            self.fail(key, "expected a non-empty list of distinct assignment ids, like [\"backprop\", \"iou\"]",
                      value)
        return tuple(value)

    def datetime(self, key: str) -> _dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, _dt.datetime) or value.tzinfo is None:
            self.fail(key, "expected a date-time with a UTC offset, like 2026-12-01T23:59:00+01:00", value)
        return value


def _show(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def parse_config(data: Mapping[str, Any], source: str = CONFIG_FILE) -> CourseConfig:
    """Validate a decoded ``course.toml``."""
    _Reader(source, "", dict(data), _TOP_KEYS)
    course = _Reader(source, "course", data.get("course", {}), _COURSE_KEYS)
    late = _Reader(source, "late_policy", data.get("late_policy", {}), _LATE_KEYS)
    vis = _Reader(source, "visibility", data.get("visibility", {}), _VISIBILITY_KEYS)
    seed = course.integer("seed", minimum=0)
    if seed is not None and seed > 0xFFFFFFFF:
        course.fail("seed", "expected an integer in [0, 4294967295]", seed)
    late_policy = LatePolicy(
        penalty_per_day=_or(late.number("penalty_per_day", maximum=100.0), 0.0),
        grace_period_minutes=_or(late.number("grace_period_minutes"), 0.0),
        max_penalty=_or(late.number("max_penalty", maximum=100.0), 100.0),
        due=late.datetime("due"),
    )
    assignments_data = data.get("assignments", {})
    if not isinstance(assignments_data, dict):
        raise CourseError(f"{source}: assignments: expected a table of [assignments.<id>] tables, "
                          f"got {_show(assignments_data)}")
    assignments = {aid: _parse_assignment(source, aid, table) for aid, table in assignments_data.items()}
    return CourseConfig(
        seed=_or(seed, DEFAULT_SEED),
        max_examples=course.integer("max_examples", minimum=1),
        selected=course.names("assignments"),
        late_policy=late_policy,
        visible_tests=_or(vis.choice("visible_tests", PLATFORM_VISIBILITIES), "visible"),
        hidden_tests=_or(vis.choice("hidden_tests", PLATFORM_VISIBILITIES), "hidden"),
        show_hidden_inputs=_or(vis.boolean("show_hidden_inputs"), False),
        stdout_visibility=_or(vis.choice("stdout_visibility", PLATFORM_VISIBILITIES), "hidden"),
        assignments=assignments,
        similarity=_parse_similarity(source, data.get("similarity", {})),
        notebooks=_parse_notebooks(source, data.get("notebooks", {})),
        time_limits=_parse_time_limits(source, data.get("time_limits", {})),
        source=source,
    )


def _parse_time_limits(source: str, table: Any) -> TimeLimits:
    reader = _Reader(source, "time_limits", table, _TIME_KEYS)
    defaults = TimeLimits()
    limits = TimeLimits(
        call_floor_s=_or(reader.number("call_floor_s", minimum=0.01), defaults.call_floor_s),
        reference_factor=_or(reader.number("reference_factor", minimum=1.0), defaults.reference_factor),
        after_timeout_floor_s=_or(reader.number("after_timeout_floor_s", minimum=0.01), defaults.after_timeout_floor_s),
        strikes=_or(reader.integer("strikes", minimum=1), defaults.strikes),
        import_cpu_s=_or(reader.number("import_cpu_s", minimum=1.0), defaults.import_cpu_s),
    )
    if limits.after_timeout_floor_s > limits.call_floor_s:
        reader.fail("after_timeout_floor_s", f"expected at most call_floor_s ({limits.call_floor_s:g})",
                    limits.after_timeout_floor_s)
    return limits


def _parse_similarity(source: str, table: Any) -> SimilarityConfig:
    reader = _Reader(source, "similarity", table, _SIMILARITY_KEYS)
    defaults = SimilarityConfig()
    return SimilarityConfig(threshold=_or(reader.number("threshold", maximum=1.0), defaults.threshold),
                            min_tokens=_or(reader.integer("min_tokens", minimum=1), defaults.min_tokens),
                            common_share=_or(reader.number("common_share", maximum=1.0), defaults.common_share))


def _parse_notebooks(source: str, table: Any) -> NotebookSettings:
    reader = _Reader(source, "notebooks", table, _NOTEBOOK_KEYS)
    defaults = NotebookSettings()
    skip_tag = table.get("skip_tag")
    if skip_tag is not None and (not isinstance(skip_tag, str) or not skip_tag.strip()
                                 or skip_tag != skip_tag.strip()):
        reader.fail("skip_tag", 'expected a cell tag (a non-empty string without surrounding spaces), '
                                'like "skip-grading"', skip_tag)
    max_mb = table.get("max_mb")
    if max_mb is not None and not (isinstance(max_mb, (int, float)) and not isinstance(max_mb, bool)
                                   and math.isfinite(max_mb) and max_mb > 0):
        reader.fail("max_mb", "expected a number of megabytes > 0", max_mb)
    files_data = table.get("files", {})
    if not isinstance(files_data, dict):
        reader.fail("files", 'expected a table of notebook names to assignment ids, like '
                             '"homework.ipynb" = ["backprop", "iou"]', files_data)
    files: list[tuple[str, tuple[str, ...]]] = []
    owner: dict[str, str] = {}
    for name, ids in files_data.items():
        key = json.dumps(name)
        if not name.endswith(".ipynb") or "/" in name or "\\" in name or name == ".ipynb":
            reader.fail(f"files.{key}", "expected a notebook file name ending in .ipynb (no folder: it is "
                                        "looked for where the assignment files are)", None)
        if (not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids)
                or len(set(ids)) != len(ids)):
            reader.fail(f"files.{key}", 'expected a non-empty list of distinct assignment ids, like ["backprop", '
                                        '"iou"]', ids)
        for assignment_id in ids:
            if assignment_id in owner:
                reader.fail(f"files.{key}", f"assignment {json.dumps(assignment_id)} is already in "
                                            f"{json.dumps(owner[assignment_id])}", None)
            owner[assignment_id] = name
        files.append((name, tuple(ids)))
    return NotebookSettings(files=tuple(files), skip_tag=_or(skip_tag, defaults.skip_tag),
                            max_mb=float(_or(max_mb, defaults.max_mb)))


def _parse_assignment(source: str, assignment_id: str, table: Any) -> AssignmentConfig:
    reader = _Reader(source, f"assignments.{assignment_id}", table, _ASSIGNMENT_KEYS)
    tests_data = table.get("tests", {})
    if not isinstance(tests_data, dict):
        reader.fail("tests", 'expected a table of [assignments.<id>.tests."<test name>"] tables', tests_data)
    tests = {}
    for name, test_table in tests_data.items():
        test = _Reader(source, f"assignments.{assignment_id}.tests.{json.dumps(name)}", test_table, _TEST_KEYS)
        tests[name] = TestConfig(points=test.number("points"),
                                 visibility=test.choice("visibility", PLATFORM_VISIBILITIES),
                                 max_examples=test.integer("max_examples", minimum=1))
    return AssignmentConfig(points=reader.number("points"), due=reader.datetime("due"),
                            max_examples=reader.integer("max_examples", minimum=1), tests=tests)


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def load_config(path: str | Path) -> CourseConfig:
    """Read and validate ``path``; a missing file gives the defaults."""
    path = Path(path)
    if not path.is_file():
        return CourseConfig(source=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, str(path))


def load_course_config(course_root: str | Path) -> CourseConfig:
    """The course's ``course.toml``, or the defaults when it has none."""
    return load_config(Path(course_root) / CONFIG_FILE)


# --- writing (the student release gets a copy without the hidden tests) -----------------------

def to_toml(config: CourseConfig, *, keep_test: Any = None) -> str:
    """``config`` as TOML; ``keep_test(assignment_id, name)`` filters the per-test tables."""
    lines = ["# Course configuration (generated: see the instructors' course.toml for the documented one).", ""]
    lines += ["[course]", f"seed = {config.seed}"]
    if config.max_examples is not None:
        lines.append(f"max_examples = {config.max_examples}")
    if config.selected is not None:
        lines.append(f"assignments = {json.dumps(list(config.selected))}")
    late = config.late_policy
    lines += ["", "[late_policy]", f"penalty_per_day = {late.penalty_per_day!r}",
              f"grace_period_minutes = {late.grace_period_minutes!r}", f"max_penalty = {late.max_penalty!r}"]
    if late.due is not None:
        lines.append(f"due = {late.due.isoformat()}")
    lines += ["", "[visibility]", f'visible_tests = "{config.visible_tests}"',
              f'hidden_tests = "{config.hidden_tests}"',
              f"show_hidden_inputs = {'true' if config.show_hidden_inputs else 'false'}",
              f'stdout_visibility = "{config.stdout_visibility}"']
    notebooks = config.notebooks
    if notebooks != NotebookSettings():
        lines += ["", "[notebooks]", f"skip_tag = {json.dumps(notebooks.skip_tag)}", f"max_mb = {notebooks.max_mb!r}"]
        if notebooks.files:
            lines += ["", "[notebooks.files]"]
            lines += [f"{json.dumps(name)} = {json.dumps(list(ids))}" for name, ids in notebooks.files]
    if config.time_limits != TimeLimits():
        limits = config.time_limits
        lines += ["", "[time_limits]", f"call_floor_s = {limits.call_floor_s!r}",
                  f"reference_factor = {limits.reference_factor!r}",
                  f"after_timeout_floor_s = {limits.after_timeout_floor_s!r}", f"strikes = {limits.strikes}",
                  f"import_cpu_s = {limits.import_cpu_s!r}"]
    for assignment_id, conf in config.assignments.items():
        lines += ["", f"[assignments.{assignment_id}]"]
        if conf.points is not None:
            lines.append(f"points = {conf.points!r}")
        if conf.due is not None:
            lines.append(f"due = {conf.due.isoformat()}")
        if conf.max_examples is not None:
            lines.append(f"max_examples = {conf.max_examples}")
        for name, test in conf.tests.items():
            if keep_test is not None and not keep_test(assignment_id, name):
                continue
            lines += ["", f"[assignments.{assignment_id}.tests.{json.dumps(name)}]"]
            if test.points is not None:
                lines.append(f"points = {test.points!r}")
            if test.visibility is not None:
                lines.append(f'visibility = "{test.visibility}"')
            if test.max_examples is not None:
                lines.append(f"max_examples = {test.max_examples}")
    return "\n".join(lines) + "\n"


__all__ = [
    "CONFIG_FILE",
    "AssignmentConfig",
    "CourseConfig",
    "LatePolicy",
    "SimilarityConfig",
    "TestConfig",
    "load_config",
    "load_course_config",
    "parse_config",
    "to_toml",
]
