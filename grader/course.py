"""Finding and loading a course: its assignments' suites, visible and hidden.

A course is a folder holding ``assignments/`` (what students receive) and, for instructors,
``reference/``. Each ``assignments/<id>/suite.py`` declares the assignment and its visible
tests; ``reference/<id>/suite.py``, where present, adds the hidden ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.config import CourseConfig, load_course_config
from grader.errors import CourseError, SuiteError
from grader.spec.model import AssignmentSpec
from grader.spec.suite import Suite, import_file, suite_module_name

COURSE_ENV = "GRADER_COURSE"


@dataclass(frozen=True)
class Course:
    root: Path
    assignments: tuple[AssignmentSpec, ...]
    has_reference: bool
    seed: int = 20261123
    config: CourseConfig = field(default_factory=CourseConfig)  # course.toml (platforms read it)
    # Every assignment of assignments/, the selected ones included: ``--only`` picks from these,
    # so an instructor can try an assignment before adding it to [course] assignments.
    offered: tuple[AssignmentSpec, ...] = ()

    def pick(self, only: tuple[str, ...] | list[str] = ()) -> tuple[AssignmentSpec, ...]:
        """The assignments to grade: the course's selection, or ``only`` (from every one offered)."""
        if not only:
            return self.assignments
        return tuple(a for a in (self.offered or self.assignments) if a.id in only)

    def get(self, assignment_id: str) -> AssignmentSpec:
        for a in self.offered or self.assignments:  # offered holds the selected ones too
            if a.id == assignment_id:
                return a
        known = ", ".join(a.id for a in self.offered or self.assignments)
        raise CourseError(f"no assignment {assignment_id!r} in {self.root} (known: {known})")


def find_course_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$GRADER_COURSE``, else the nearest folder up from here with
    ``assignments/``, else the course bundled next to the package."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    elif os.environ.get(COURSE_ENV):
        candidates.append(Path(os.environ[COURSE_ENV]))
    else:
        here = Path.cwd().resolve()
        candidates += [here, *here.parents]
        candidates.append(Path(__file__).resolve().parents[1])
    for path in candidates:
        if (path / "assignments").is_dir():
            return path.resolve()
    if explicit or os.environ.get(COURSE_ENV):
        raise CourseError(f"{candidates[0]}: not a course folder (expected an assignments/ folder inside)")
    raise CourseError("no course found: run from a course folder, pass --course, or set GRADER_COURSE")


def _load_suite(path: Path, tag: str) -> Suite:
    try:
        module = import_file(suite_module_name(tag, path.parent.name), path)
    except (CourseError, SuiteError):
        raise
    except Exception as exc:
        raise CourseError(f"{path}: failed to load: {type(exc).__name__}: {exc}") from exc
    suite = getattr(module, "suite", None)
    if not isinstance(suite, Suite):
        raise CourseError(f"{path}: expected a module-level `suite = Suite(...)`")
    return suite


def load_course(root: str | os.PathLike[str] | None = None, *, include_hidden: bool = True) -> Course:
    course_root = find_course_root(root)
    reference_root = course_root / "reference"
    has_reference = include_hidden and reference_root.is_dir()
    specs = []
    for folder in sorted(p for p in (course_root / "assignments").iterdir() if (p / "suite.py").is_file()):
        visible = _load_suite(folder / "suite.py", "visible")
        where = folder / "suite.py"
        if visible.id != folder.name:
            raise CourseError(f"{where}: Suite id {visible.id!r} does not match its folder {folder.name!r}")
        if not visible.student_file or not visible.functions:
            raise CourseError(f"{where}: the visible suite must give student_file= and functions=")
        tests = [replace(t, visibility="visible") for t in visible.tests]
        hidden_path = reference_root / folder.name / "suite.py"
        if has_reference and hidden_path.is_file():
            hidden = _load_suite(hidden_path, "hidden")
            if hidden.id != visible.id:
                raise CourseError(f"{hidden_path}: Suite id {hidden.id!r}, expected {visible.id!r}")
            clash = {t.name for t in tests} & {t.name for t in hidden.tests}
            if clash:
                raise CourseError(f"{hidden_path}: test names already used by the visible suite: {sorted(clash)}")
            tests += [replace(t, visibility="hidden") for t in hidden.tests]
        for t in tests:
            unknown = [f for f in t.functions if f not in visible.functions]
            if unknown:
                raise SuiteError(f"{t.source}: test {t.name!r} names functions not in the assignment: {unknown}")
        specs.append(AssignmentSpec(
            id=visible.id,
            student_file=visible.student_file,
            functions=visible.functions,
            title=visible.title or visible.id,
            forbidden_calls=visible.forbidden_calls,
            meta_safe=visible.meta_safe,
            tests=tuple(tests),
            public_dir=str(folder.resolve()),
        ))
    if not specs:
        raise CourseError(f"{course_root / 'assignments'}: no assignment has a suite.py")
    config = load_course_config(course_root)
    folders = tuple(p.name for p in (course_root / "assignments").iterdir() if p.is_dir())
    offered = config.apply(tuple(specs), has_hidden=has_reference, folders=folders)
    selected = offered
    if config.selected is not None:
        by_id = {s.id: s for s in offered}
        unknown = [a for a in config.selected if a not in by_id]
        if unknown:
            raise CourseError(f"{config.source}: [course] assignments: no assignment {unknown[0]!r} in "
                              f"{course_root / 'assignments'} (offered: {', '.join(sorted(by_id))})")
        selected = tuple(by_id[a] for a in config.selected)
    return Course(root=course_root, assignments=selected, has_reference=has_reference, seed=config.seed,
                  config=config, offered=offered)
