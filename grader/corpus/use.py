"""Where corpora live, loading them into a grading process, and storing what it learned.

Two places, read in this order, per assignment and device:

1. ``<course>/corpus/``: shipped with the course (``grader corpus build`` writes it; the
   Gradescope bundle, a PrairieLearn course and the student release carry it). Read only.
2. the grader's cache, ``$GRADER_CACHE_DIR`` or ``$XDG_CACHE_HOME/dl-grader`` or
   ``~/.cache/dl-grader``, under ``corpus/<digest of the course folder>/``: built lazily.
   After an assignment is graded, the tests this process saw pass that no corpus held are
   written there, with the reference answers their runs asked for, so the next process
   replays them.

A file that is stale (another fingerprint), truncated or corrupted is refused with a message
on the grader's stderr and never used in part; its tests are searched, and the cache file is
written afresh. ``GradeOptions(corpus=False)`` (``--no-corpus``) neither reads nor writes.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.checks import driver
from grader.checks.time_budget import assignment_reference
from grader.corpus import store
from grader.corpus.fingerprint import FULL, VISIBLE, course_root_of, fingerprint, scope_tests
from grader.spec.model import AssignmentSpec, seed_for_test
from grader.user_cache import CACHE_ENV, cache_root  # noqa: F401  (CACHE_ENV: named here for callers)

SHIPPED = "corpus"


def cache_dir(course_root: Path) -> Path:
    tag = hashlib.sha256(str(course_root.resolve()).encode()).hexdigest()[:12]
    return cache_root() / "corpus" / f"{course_root.name}-{tag}"


def file_name(assignment: str, device: str, scope: str) -> str:
    device_tag = device.replace(":", "")
    return f"{assignment}-{device_tag}{'' if scope == FULL else '-' + scope}.corpus"


def covered(spec: AssignmentSpec, items: dict[store.MemoKey, Any], *, seed: int, device: str,
            scope: str) -> dict[store.MemoKey, Any]:
    """The entries of ``items`` a corpus of ``spec`` in ``scope`` holds: the scope's tests, at
    their seeds, on ``device`` (the budget is part of the key: any may be held)."""
    seeds = {t.key: seed_for_test(seed, t) for t in spec.tests}
    wanted = set(scope_tests(spec, scope))
    return {k: v for k, v in items.items() if k[0] in wanted and k[1] == seeds[k[0]] and k[3] == device}


@dataclass
class _Loaded:
    """What this process holds for one (assignment, seed, device): from files and learned."""

    cases: set[store.MemoKey] = field(default_factory=set)  # memo keys already in a file
    files: list[str] = field(default_factory=list)


_loaded: dict[tuple[str, str, int, str], _Loaded] = {}
problems: list[str] = []  # every refusal this process met, in order (tests read it)


def note(problem: str, *, loud: bool = True) -> None:
    """Record why a corpus was not used; ``loud``: say it on stderr too, once."""
    if problem not in problems:
        problems.append(problem)
        if loud:
            print(f"grader: {problem}", file=sys.stderr)


def _scopes(spec: AssignmentSpec, root: Path) -> list[str]:
    has_reference = (root / "reference" / spec.id).is_dir()
    return [FULL, VISIBLE] if has_reference else [VISIBLE]


def prepare(spec: AssignmentSpec, *, seed: int, device: str) -> _Loaded | None:
    """Load the corpora of ``spec`` into this process (once); None where there can be none."""
    root = course_root_of(spec)
    if root is None:
        return None
    index = (str(root), spec.id, seed, device)
    if index in _loaded:
        return _loaded[index]
    loaded = _loaded[index] = _Loaded()
    reference = assignment_reference(spec.public_dir, spec.id, spec.student_file)
    for scope in _scopes(spec, root):
        expected = None  # computed for the first file there is (it reads every suite file)
        for folder in (root / SHIPPED, cache_dir(root)):
            path = folder / file_name(spec.id, device, scope)
            if not path.is_file():
                continue
            expected = expected or fingerprint(spec, seed=seed, device=device, scope=scope, root=root)
            try:
                corpus = store.read(path, root, fingerprint=expected)
            except store.CorpusError as exc:
                # A damaged file is said out loud; a stale one is the expected state after any
                # change to a suite or to course.toml's budgets (a release whose course.toml a
                # student or instructor edited): it is replaced quietly, never used.
                note(f"{exc}; its cases are drawn afresh" + ("" if folder == root / SHIPPED
                                                             else " and the file is written again"),
                     loud=not exc.stale)
                continue
            # A key of another test, seed or device cannot be asked for: only what this
            # fingerprint covers is taken.
            for key, cases in covered(spec, corpus.cases, seed=seed, device=device, scope=scope).items():
                driver.remember_cases(key, cases, answers=set(corpus.answers), calls=corpus.calls.get(key))
                loaded.cases.add(key)
            if scope == FULL and reference is not None and corpus.answers:
                reference.absorb(corpus.answers)
            loaded.files.append(str(path))
    return loaded


def learn(spec: AssignmentSpec, *, seed: int, device: str) -> Path | None:
    """Write what this process knows of ``spec`` to the cache when it knows more than the
    files it loaded: returns the file written, or None."""
    root = course_root_of(spec)
    if root is None:
        return None
    loaded = prepare(spec, seed=seed, device=device)
    assert loaded is not None
    scope = _scopes(spec, root)[0]
    known = covered(spec, driver.remembered_cases(spec.id), seed=seed, device=device, scope=scope)
    new = set(known) - loaded.cases
    if not new:
        return None
    corpus = snapshot(spec, known, scope=scope, seed=seed, device=device, root=root)
    path = cache_dir(root) / file_name(spec.id, device, scope)
    # Written, unwritable or left out as not storable: none is tried again for every submission.
    loaded.cases |= set(known)
    try:
        store.write(path, corpus, root)
    except OSError as exc:
        note(f"the corpus could not be written to {path} ({exc.strerror or exc}); grading goes on without it")
        return None
    return path


def snapshot(spec: AssignmentSpec, known: dict[store.MemoKey, list], *, scope: str, seed: int, device: str,
             root: Path) -> store.Corpus:
    """The corpus of what ``known`` holds: every sequence that comes back identical from the
    file, and (scope ``full``) the reference answers their runs asked for."""
    corpus = store.Corpus(assignment=spec.id, scope=scope,
                          fingerprint=fingerprint(spec, seed=seed, device=device, scope=scope, root=root))
    for key, cases in sorted(known.items()):
        why = next((w for w in (store.storable(case, root) for case in cases) if w), "")
        if why:
            corpus.skipped[key[0]] = why
        else:
            corpus.cases[key] = cases
            made = driver.remembered_calls(key)
            if made is not None and store.calls_storable(made, root):
                corpus.calls[key] = made  # else replays of this test call one by one
    reference = assignment_reference(spec.public_dir, spec.id, spec.student_file)
    if scope == FULL and reference is not None:
        for key, value in reference.answers(driver.answer_keys(list(corpus.cases))).items():
            if store.storable(value, root) == "":
                corpus.answers[key] = value
    return corpus


def forget() -> None:
    """Forget what was loaded (tests that grade with and without a corpus in one process)."""
    _loaded.clear()
    problems.clear()
