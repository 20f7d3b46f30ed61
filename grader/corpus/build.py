"""Building corpora: ``grader corpus build``, and the corpora a release and a bundle ship.

A corpus is drawn by grading the reference solution (``reference/<id>/<file>``), which passes
every test, with the corpus off: every test's cases are drawn by hypothesis exactly as they
are for any student who passes them, and the reference answers its hidden tests asked for are
recorded. A test the reference does not pass (a suite bug) is left out, and said so.

The student release gets the ``visible`` scope only: the cases of the visible tests and no
reference answer at all (:func:`grader.release.find_leaks` checks every corpus file of a
release for a hidden test or an answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.checks import driver
from grader.corpus import store, use
from grader.corpus.fingerprint import FULL, VISIBLE, scope_tests
from grader.course import Course
from grader.errors import GraderError


@dataclass
class Built:
    assignment: str
    path: Path
    tests: int
    cases: int
    answers: int
    left_out: dict[str, str] = field(default_factory=dict)  # test name -> why

    def line(self) -> str:
        text = (f"{self.assignment}: {self.tests} tests, {self.cases} cases, {self.answers} reference answers "
                f"-> {self.path}")
        return text + "".join(f"\n  left out: {name}: {why}" for name, why in self.left_out.items())


def build_corpus(course: Course, out_dir: Path, *, only: tuple[str, ...] = (), scope: str = FULL,
                 device: str = "cpu") -> list[Built]:
    """Write ``out_dir/<id>-<device>[-visible].corpus`` for each assignment picked."""
    from grader.grading import GradeOptions, grade_submission

    if scope == FULL and not course.has_reference:
        raise GraderError(f"{course.root}: no reference/ folder: a full corpus needs the reference solutions")
    built = []
    for spec in course.pick(only):
        folder = course.root / "reference" / spec.id
        if not (folder / spec.student_file).is_file():
            raise GraderError(f"{folder / spec.student_file}: no reference solution to draw {spec.id}'s cases with")
        options = GradeOptions(only=(spec.id,), visible_only=scope == VISIBLE, device=device, corpus=False, jobs=1)
        result = grade_submission(folder, course, options)
        graded = {t.name: t for a in result.assignments for t in a.tests}
        wanted = set(scope_tests(spec, scope))
        budgets = {t.key: t.max_examples for t in spec.tests}  # the budget this build drew with
        known = {k: v for k, v in use.covered(spec, driver.remembered_cases(spec.id), seed=course.seed,
                                              device=device, scope=scope).items() if k[2] == budgets[k[0]]}
        corpus = use.snapshot(spec, known, scope=scope, seed=course.seed, device=device, root=course.root)
        left_out = {t.name: f"the reference {graded[t.name].status} it: {graded[t.name].message[:200]}"
                    for t in spec.tests if t.key in wanted and t.name in graded and graded[t.name].status != "passed"}
        left_out.update({key.split("::", 1)[1]: why for key, why in corpus.skipped.items()})
        path = store.write(out_dir / use.file_name(spec.id, device, scope), corpus, course.root)
        built.append(Built(spec.id, path, len(corpus.cases), sum(len(c) for c in corpus.cases.values()),
                           len(corpus.answers), left_out))
    return built

