"""The case corpus (grader.corpus): what invalidates it, what it refuses, and that grading with
it gives exactly the grades of grading without it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import types
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from paths import ROOT

from grader.checks import driver
from grader.checks.built import BuildSpec
from grader.cli import cli
from grader.corpus import build, fingerprint, store, use
from grader.course import load_course
from grader.grading import GradeOptions, grade_submission

FIXTURES = ROOT / "tests" / "fixtures"


def _course_copy(tmp_path: Path, assignment: str = "iou", toml: str = "") -> Path:
    """A course folder holding one assignment of the bundled course (visible and hidden)."""
    root = tmp_path / "course"
    for folder in ("assignments", "reference"):
        shutil.copytree(ROOT / folder / assignment, root / folder / assignment,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (root / "course.toml").write_text(f"[course]\nseed = 7\n{toml}")
    return root


def _print(root: Path, assignment: str = "iou", scope: str = fingerprint.FULL) -> str:
    fingerprint.forget()
    course = load_course(root)
    spec = course.get(assignment)
    return fingerprint.fingerprint(spec, seed=course.seed, device="cpu", scope=scope)


# --- what invalidates a corpus ------------------------------------------------------------

def test_the_fingerprint_is_stable(tmp_path):
    root = _course_copy(tmp_path)
    assert _print(root) == _print(root)


def test_a_suite_change_invalidates(tmp_path):
    root = _course_copy(tmp_path)
    before, visible_before = _print(root), _print(root, scope=fingerprint.VISIBLE)
    suite = root / "reference" / "iou" / "suite.py"
    suite.write_text(suite.read_text() + "\n# a comment changes no draw, but nothing is assumed\n")
    assert _print(root) != before
    # the visible tests depend on assignments/iou only: their corpus still holds
    assert _print(root, scope=fingerprint.VISIBLE) == visible_before
    visible = root / "assignments" / "iou" / "suite.py"
    visible.write_text(visible.read_text() + "\n")
    assert _print(root, scope=fingerprint.VISIBLE) != visible_before


def test_a_helper_module_change_invalidates(tmp_path, monkeypatch):
    root = _course_copy(tmp_path)
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "corpus_test_helper.py").write_text("WIDTH = 3\n")
    monkeypatch.syspath_prepend(str(helpers))
    suite = root / "assignments" / "iou" / "suite.py"
    suite.write_text(suite.read_text().replace("from __future__ import annotations\n",
                                               "from __future__ import annotations\nimport corpus_test_helper\n", 1))
    monkeypatch.delitem(__import__("sys").modules, "corpus_test_helper", raising=False)
    before = _print(root, scope=fingerprint.VISIBLE)
    (helpers / "corpus_test_helper.py").write_text("WIDTH = 4\n")
    assert _print(root, scope=fingerprint.VISIBLE) != before


def test_the_import_memo_parses_a_text_once_and_never_hides_an_edit(tmp_path, monkeypatch):
    from grader import digests

    monkeypatch.setenv(use.CACHE_ENV, str(tmp_path / "cache"))
    parsed: list[bytes] = []
    real = digests._parsed_imports
    monkeypatch.setattr(digests, "_parsed_imports", lambda source: parsed.append(source) or real(source))
    root = _course_copy(tmp_path)
    first = _print(root, scope=fingerprint.VISIBLE)
    memo = tmp_path / "cache" / "imports"
    assert parsed and list(memo.glob("*.json"))
    count = len(parsed)
    assert _print(root, scope=fingerprint.VISIBLE) == first and len(parsed) == count  # from the memo
    # An edit is a new text: parsed, and the helper it now imports joins the fingerprint.
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "corpus_memo_helper.py").write_text("WIDTH = 3\n")
    monkeypatch.syspath_prepend(str(helpers))
    module = types.ModuleType("corpus_memo_helper")  # as if the suite had imported it
    module.__file__ = str(helpers / "corpus_memo_helper.py")
    monkeypatch.setitem(sys.modules, "corpus_memo_helper", module)
    suite = root / "assignments" / "iou" / "suite.py"
    suite.write_text(suite.read_text().replace("from __future__ import annotations\n",
                                               "from __future__ import annotations\nimport corpus_memo_helper\n", 1))
    edited = _print(root, scope=fingerprint.VISIBLE)
    assert edited != first and len(parsed) > count
    (helpers / "corpus_memo_helper.py").write_text("WIDTH = 4\n")
    assert _print(root, scope=fingerprint.VISIBLE) not in (first, edited)
    # A memo that cannot be read is ignored (the same fingerprint) and written afresh.
    for file in memo.glob("*.json"):
        file.write_text("{not json")
    assert _print(root, scope=fingerprint.VISIBLE) not in (first, edited)
    assert all(isinstance(json.loads(f.read_text()), dict) for f in memo.glob("*.json"))


def test_the_seed_invalidates(tmp_path):
    root = _course_copy(tmp_path)
    before = _print(root)
    (root / "course.toml").write_text("[course]\nseed = 8\n")
    assert _print(root) != before


def test_a_budget_invalidates(tmp_path):
    root = _course_copy(tmp_path)
    before = _print(root)
    (root / "course.toml").write_text("[course]\nseed = 7\n\n[assignments.iou]\nmax_examples = 5\n")
    assert _print(root) != before
    (root / "course.toml").write_text("[course]\nseed = 7\nmax_examples = 6\n")
    assert _print(root) != before


def test_the_device_and_the_scope_are_part_of_it(tmp_path):
    root = _course_copy(tmp_path)
    course = load_course(root)
    spec = course.get("iou")
    prints = {fingerprint.fingerprint(spec, seed=7, device=d, scope=s)
              for d in ("cpu", "cuda:0") for s in (fingerprint.FULL, fingerprint.VISIBLE)}
    assert len(prints) == 4


# --- the file ---------------------------------------------------------------------------

def _small_corpus(root: Path) -> store.Corpus:
    strided = torch.arange(12.0, dtype=torch.float64).reshape(3, 4).T  # a transposed view
    cases = [{"x": strided, "w": torch.ones(2, requires_grad=True), "n": -0.0, "m": float("nan"),
              "t": (1, "a"), "k": {3: torch.tensor(True)}, "g": torch.Generator().manual_seed(5),
              "d": torch.float32,
              "model": BuildSpec(str(root / "assignments" / "iou" / "iou.py"), "box_area", {"k": 1})}]
    return store.Corpus("iou", "f" * 64, "full", cases={("iou::t", 1, 2, "cpu"): cases},
                        answers={b"\x01" * 32: (torch.zeros(2, 3), 0.5)})


def test_a_corpus_comes_back_identical(tmp_path):
    root = _course_copy(tmp_path)
    corpus = _small_corpus(root)
    path = store.write(tmp_path / "c.corpus", corpus, root)
    back = store.read(path, root, fingerprint="f" * 64)
    (case,) = back.cases[("iou::t", 1, 2, "cpu")]
    assert store.identical(case, corpus.cases[("iou::t", 1, 2, "cpu")][0])
    assert case["x"].stride() == (1, 4) and case["w"].requires_grad
    assert store.identical(back.answers, corpus.answers)
    # a model factory's path is stored relative to the course, so the file holds elsewhere
    assert b"course:assignments/iou/iou.py" in path.read_bytes() and str(root).encode() not in path.read_bytes()


def test_call_frames_come_back_as_sent_and_model_paths_move_with_the_course(tmp_path):
    """Calls are stored as the request frames the worker gets, read back without decoding a
    call; a frame naming a model factory by its absolute path is stored relative to the course,
    so a corpus built on an instructor's machine matches the frames a body sends elsewhere."""
    from grader.sandbox.process import request_frame

    built_at, moved_to = _course_copy(tmp_path / "a"), _course_copy(tmp_path / "b")
    plain = [("box_area", request_frame("call", "box_area", [torch.rand(3, 4)], {})),
             ("nms", request_frame("call", "nms", [torch.rand(2, 4), torch.rand(2)], {"iou_threshold": 0.5}))]

    def model_call(root: Path) -> tuple[str, bytes]:
        spec = BuildSpec(str(root / "assignments" / "iou" / "iou.py"), "box_area", {"n": 2})
        return ("box_area", request_frame("call", "box_area", [spec, (1, 2.5)], {}))

    calls = {("iou::plain", 1, 2, "cpu"): plain, ("iou::model", 1, 2, "cpu"): [model_call(built_at)]}
    corpus = store.Corpus(assignment="iou", fingerprint="f" * 64, scope="full", calls=calls)
    assert store.calls_storable(plain, built_at) and store.calls_storable([model_call(built_at)], built_at)
    blob = store.encode(corpus, built_at)
    assert str(built_at).encode() not in blob
    back = store.decode(blob, moved_to, where="moved.corpus")
    assert back.calls[("iou::plain", 1, 2, "cpu")] == plain
    assert back.calls[("iou::model", 1, 2, "cpu")] == [model_call(moved_to)]


def test_a_corpus_of_another_format_is_stale_not_damaged(tmp_path):
    import hashlib

    from grader.sandbox import wire

    root = _course_copy(tmp_path)
    body = wire.encode({"format": store.FORMAT - 1, "assignment": "iou"})
    blob = store.MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    with pytest.raises(store.CorpusError, match="format") as refused:
        store.decode(blob, root, where="old.corpus")
    assert refused.value.stale  # replaced quietly, as after any change to a suite


def test_identical_tells_what_a_replay_must_not_change():
    a = torch.zeros(2, 3)
    assert not store.identical(a, a.T.contiguous().T)  # same values, other strides
    assert not store.identical(0.0, -0.0)
    assert not store.identical(torch.zeros(2), torch.zeros(2, requires_grad=True))
    assert not store.identical((1,), [1])
    assert store.identical(float("nan"), float("nan"))


def test_a_truncated_or_tampered_corpus_is_refused_with_a_clear_message(tmp_path):
    root = _course_copy(tmp_path)
    path = store.write(tmp_path / "c.corpus", _small_corpus(root), root)
    blob = path.read_bytes()
    cases = {
        "truncated": (blob[: len(blob) // 2], "truncated or corrupted"),
        "no digest": (blob[: len(store.MAGIC) + 10], "truncated"),
        "tampered": (blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:], "does not match its digest"),
        "foreign": (b"\x80\x04pickle", "not a corpus file"),
    }
    for data, expected in cases.values():
        path.write_bytes(data)
        with pytest.raises(store.CorpusError, match=expected):
            store.read(path, root)
    path.write_bytes(blob)
    with pytest.raises(store.CorpusError, match="is stale"):
        store.read(path, root, fingerprint="0" * 64)


def test_a_case_the_corpus_cannot_store_is_left_to_the_search(tmp_path):
    root = _course_copy(tmp_path)
    assert store.storable({"x": torch.zeros(3).expand(2, 3)}, root)  # overlapping strides
    assert store.storable({"f": lambda: 0}, root)
    assert store.storable({"x": torch.zeros(3)}, root) == ""


# --- grading with it ----------------------------------------------------------------------

def _fresh_process_state() -> None:
    """As a new grading process starts: no memo, nothing loaded."""
    driver.forget_cases()
    use.forget()
    fingerprint.forget()


def _grade_json(submission: Path, course, **options) -> dict:
    result = grade_submission(submission, course, GradeOptions(jobs=1, **options))
    data = dataclasses.asdict(result)
    for key in ("graded_at", "elapsed_s"):
        data.pop(key)
    for a in data["assignments"]:
        a.pop("elapsed_s", None)
        for t in a["tests"]:
            t.pop("elapsed_s")
            if t["status"] == "timeout":
                t["message"] = ""
    return data


def _same(a: dict, b: dict) -> bool:
    """Equal as JSON documents (NaN equals NaN there, as in the grade JSON)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _fixture_dir(tmp_path: Path, assignment: str, fixture: Path, student_file: str) -> Path:
    folder = tmp_path / f"{assignment}-{fixture.stem}"
    folder.mkdir()
    shutil.copy(fixture, folder / student_file)
    return folder


# iou: every fixture; backprop (a test that rejects cases with ``assume``): every fixture whose
# bug sits in the activations, which that test exercises, and the correct ones. The fidelity
# snapshot (test_grading_fidelity) covers every fixture of every assignment, in one process.
SAMPLES = {"iou": "*[gu][in][oi]*.py", "backprop": "*[rs][ei][lg]*.py"}


@pytest.mark.parametrize("assignment", sorted(SAMPLES))
def test_grades_with_and_without_the_corpus_are_identical_on_the_fixtures(assignment, course, tmp_path, monkeypatch):
    monkeypatch.setenv(use.CACHE_ENV, str(tmp_path / "cache"))
    spec = course.get(assignment)
    fixtures = sorted(set((FIXTURES / assignment).glob(SAMPLES[assignment]))
                      | set((FIXTURES / assignment).glob("correct_*.py")))
    folders = [_fixture_dir(tmp_path, assignment, f, spec.student_file) for f in fixtures]

    _fresh_process_state()
    without = [_grade_json(f, course, only=(assignment,), corpus=False) for f in folders]
    assert not list((tmp_path / "cache").rglob("*.corpus"))  # --no-corpus writes nothing

    _fresh_process_state()
    _grade_json(ROOT / "reference" / assignment, course, only=(assignment,))  # lazily builds the corpus
    (written,) = list((tmp_path / "cache").rglob("*.corpus"))
    stored = store.read(written, course.root)
    assert len(stored.cases) == len(spec.tests) and stored.answers

    _fresh_process_state()
    searches = []
    original = driver.given
    monkeypatch.setattr(driver, "given", lambda *a, **k: searches.append(1) or original(*a, **k))
    for fixture, folder, expected in zip(fixtures, folders, without):
        before = len(searches)
        got = _grade_json(folder, course, only=(assignment,))
        assert _same(got, expected), fixture.name
        if fixture.stem.startswith("correct"):  # replayed alone: no test drew a case
            assert expected["score"] == expected["max_score"] and len(searches) == before, fixture.name
        else:  # a buggy one searches where it fails (a test without inputs runs once, no search)
            assert len(searches) - before < len(spec.tests), fixture.name


def test_a_stale_or_tampered_cache_file_is_refused_then_rebuilt(course, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(use.CACHE_ENV, str(tmp_path / "cache"))
    reference = ROOT / "reference" / "iou"
    _fresh_process_state()
    _grade_json(reference, course, only=("iou",))
    (path,) = list((tmp_path / "cache").rglob("*.corpus"))
    good = path.read_bytes()

    path.write_bytes(good[:-100])
    _fresh_process_state()
    graded = _grade_json(reference, course, only=("iou",))
    assert graded["score"] == graded["max_score"]
    assert any("truncated or corrupted" in p for p in use.problems)
    assert "truncated or corrupted" in capsys.readouterr().err
    assert store.read(path, course.root).cases  # written again, whole

    stale = store.read(path, course.root)
    stale.fingerprint = "0" * 64
    store.write(path, stale, course.root)
    _fresh_process_state()
    capsys.readouterr()
    _grade_json(reference, course, only=("iou",))
    assert any("is stale" in p for p in use.problems)
    assert "is stale" not in capsys.readouterr().err  # expected after any suite change: quiet
    spec = course.get("iou")
    assert store.read(path, course.root).fingerprint == fingerprint.fingerprint(
        spec, seed=course.seed, device="cpu", scope=fingerprint.FULL)


def test_corpus_build_command_writes_every_test(course, tmp_path):
    result = CliRunner().invoke(cli, ["corpus", "build", "--only", "conv_shapes", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    spec = course.get("conv_shapes")
    assert f"conv_shapes: {len(spec.tests)} tests" in result.output
    corpus = store.read(tmp_path / "conv_shapes-cpu.corpus", course.root,
                        fingerprint=fingerprint.fingerprint(spec, seed=course.seed, device="cpu", scope="full"))
    assert {k[0] for k in corpus.cases} == {t.key for t in spec.tests}
    visible = CliRunner().invoke(cli, ["corpus", "build", "--only", "conv_shapes", "--visible-only",
                                       "--out", str(tmp_path)])
    assert visible.exit_code == 0, visible.output
    shown = store.read(tmp_path / "conv_shapes-cpu-visible.corpus", course.root)
    assert not shown.answers and {k[0] for k in shown.cases} == {t.key for t in spec.tests
                                                                  if t.visibility == "visible"}


def test_a_release_corpus_holding_hidden_data_is_a_leak(course, tmp_path):
    from grader.release import find_leaks

    spec = course.get("iou")
    full = build.build_corpus(course, tmp_path / "full", only=("iou",))[0].path
    (tmp_path / "release" / "corpus").mkdir(parents=True)
    shutil.copy(full, tmp_path / "release" / "corpus" / full.name)
    leaks = find_leaks(tmp_path / "release", course)
    hidden = [t.name for t in spec.tests if t.visibility == "hidden"]
    assert any("reference answers" in leak for leak in leaks)
    assert any(f"cases of hidden test {hidden[0]!r}" in leak for leak in leaks)
    assert any("scope 'full'" in leak for leak in leaks)
    (tmp_path / "release" / "corpus" / full.name).write_bytes(b"junk")
    assert any("not a readable corpus" in leak for leak in find_leaks(tmp_path / "release", course))


def test_no_corpus_flag_reaches_the_grading_options(tmp_path, monkeypatch):
    seen = {}

    def fake(submission, course, options):
        seen["corpus"] = options.corpus
        raise SystemExit(0)

    monkeypatch.setattr("grader.cli._grade_with_progress", fake)
    CliRunner().invoke(cli, ["grade", str(tmp_path), "--no-corpus", "--only", "iou"])
    assert seen == {"corpus": False}
    CliRunner().invoke(cli, ["check", str(tmp_path), "--only", "iou"])
    assert seen == {"corpus": True}


def test_a_corpus_that_cannot_be_written_costs_nothing(course, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(use.CACHE_ENV, str(blocked))
    _fresh_process_state()
    graded = _grade_json(ROOT / "reference" / "conv_shapes", course, only=("conv_shapes",))
    assert graded["score"] == graded["max_score"]
    assert any("could not be written" in p for p in use.problems)


def test_the_release_ships_a_visible_corpus_its_own_check_accepts(tmp_path, monkeypatch):
    """Built from the course, checked against the release: same fingerprint, even with the
    students' work in assignments/<id>/ (a notebook release, a stub filled in place)."""
    from grader.release import build_release

    monkeypatch.setenv(use.CACHE_ENV, str(tmp_path / "cache"))
    release = build_release(ROOT, tmp_path / "release", format="both")
    shipped = sorted(p.name for p in (release / "corpus").glob("*.corpus"))
    students = load_course(release, include_hidden=False)
    assert shipped == sorted(f"{a.id}-cpu-visible.corpus" for a in students.assignments)
    spec = students.get("iou")
    (release / "assignments" / "iou" / "iou.py").write_text((ROOT / "reference" / "iou" / "iou.py").read_text())
    _fresh_process_state()
    loaded = use.prepare(spec, seed=students.seed, device="cpu")
    assert loaded.files == [str(release / "corpus" / "iou-cpu-visible.corpus")] and not use.problems
    assert {k[0] for k in loaded.cases} == {t.key for t in spec.tests}
