"""The student release: nothing of the reference or the hidden tests in it, and `grader check`
working from it after a pip install into a fresh virtual environment."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from platform_samples import ROOT, copy_course, pick_assignment

from grader.course import load_course
from grader.errors import CourseError, GraderError
from grader.release import build_release, find_leaks

MIN_CHARS = 24


def reference_only_lines(course_root: Path) -> set[str]:
    """An independent scan: stripped lines of the reference's function bodies (solutions and hidden
    suites) that nothing students legitimately get (assignments/, the engine) also holds."""
    secret: set[str] = set()
    for path in (course_root / "reference").rglob("*.py"):
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[0]
                start = first.end_lineno if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    else first.lineno - 1
                secret |= {ln.strip() for ln in lines[start:node.end_lineno]
                           if len(ln.strip()) >= MIN_CHARS and not ln.strip().startswith("#")}
    shipped = [*(course_root / "assignments").rglob("*"), *(ROOT / "grader").rglob("*.py")]
    for path in shipped:
        if path.is_file() and path.suffix != ".pyc":
            secret -= {ln.strip() for ln in path.read_text(errors="replace").splitlines()}
    return secret


def hidden_test_names(course_root: Path) -> set[str]:
    course = load_course(course_root)
    return {t.name for a in course.assignments for t in a.tests if t.visibility == "hidden"}


def scan(release: Path, course_root: Path) -> list[str]:
    secrets, names = reference_only_lines(course_root), hidden_test_names(course_root)
    assert secrets and names          # the scan has something to look for
    found = []
    for path in release.rglob("*"):
        if path.is_dir() and path.name == "reference":
            found.append(str(path))
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        found += [f"{path}: {ln}" for ln in secrets & {x.strip() for x in text.splitlines()}]
        found += [f"{path}: {name}" for name in names if name in text]
    return found


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("release")
    return build_release(ROOT, tmp / "release")


def test_the_release_holds_what_students_need(release):
    course = load_course(ROOT, include_hidden=False)
    for spec in course.assignments:
        assert (release / "assignments" / spec.id / spec.student_file).is_file()
        assert (release / "assignments" / spec.id / "suite.py").is_file()
        if (ROOT / "assignments" / spec.id / "README.md").is_file():
            assert (release / "assignments" / spec.id / "README.md").is_file()
    for name in ("grader/cli.py", "grader/platforms/templates/classroom.yml.j2", "pyproject.toml", "README.md",
                 "course.toml", ".github/workflows/classroom.yml"):
        assert (release / name).is_file(), name
    readme = (release / "README.md").read_text()
    assert "grader check assignments/" in readme and "pip install" in readme
    assert not (release / "reference").exists()


def test_no_reference_code_nor_hidden_test_text_in_the_release(release):
    assert scan(release, ROOT) == []
    assert find_leaks(release, load_course(ROOT)) == []


def test_the_leak_check_finds_a_planted_reference_file(release, tmp_path):
    assignment_id, student_file = pick_assignment()
    planted = tmp_path / "planted"
    shutil.copytree(release, planted)
    shutil.copy(ROOT / "reference" / assignment_id / student_file, planted / "assignments" / "extra.py")
    assert scan(planted, ROOT) and find_leaks(planted, load_course(ROOT))


def test_a_course_whose_assignments_leak_the_reference_is_refused(tmp_path):
    assignment_id, student_file = pick_assignment()
    course = copy_course(tmp_path / "course", (assignment_id,), "")
    shutil.copy(course / "reference" / assignment_id / student_file,
                course / "assignments" / assignment_id / "solution_copy.py")
    with pytest.raises(CourseError, match="would leak"):
        build_release(course, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(GraderError, match="not an empty folder"):
        build_release(ROOT, tmp_path / "out")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=400, **kwargs)


def test_grader_check_works_from_the_release_in_a_fresh_venv(tmp_path):
    """Builds the release of a one-assignment course (small example budget) into a fresh folder,
    installs it into a fresh venv that reuses this interpreter's installed packages (torch 2.13
    CPU included: --system-site-packages, so nothing is downloaded), and runs `grader check`
    there: the stubs score 0 (exit 0), a correct solution (the reference copied in at test time)
    gets every visible point."""
    assignment_id, student_file = pick_assignment()
    course = copy_course(tmp_path / "course", (assignment_id,), "[course]\nmax_examples = 4\n")
    release = build_release(course, tmp_path / "release")
    assert scan(release, course) == []
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_COURSE", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
                      "--no-build-isolation", "--no-deps", "--disable-pip-version-check", "-q", str(release)],
                     env=env)
    assert installed.returncode == 0, installed.stderr
    where = _run([str(python), "-c", "import grader; print(grader.__file__)"], env=env, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(env_dir)), where.stdout + where.stderr   # the release's engine
    grader = str(env_dir / "bin" / "grader")

    stubs = _run([grader, "check", f"assignments/{assignment_id}", "--only", assignment_id, "--json",
                  str(tmp_path / "stubs.json")], env=env, cwd=release)
    assert stubs.returncode == 0, stubs.stdout + stubs.stderr
    stub_result = json.loads((tmp_path / "stubs.json").read_text())
    assert stub_result["score"] == 0 and stub_result["mode"] == "check"
    assert stub_result["assignments"][0]["status"] == "graded"

    solution = tmp_path / "solution"
    solution.mkdir()
    shutil.copy(ROOT / "reference" / assignment_id / student_file, solution / student_file)
    correct = _run([grader, "check", str(solution), "--only", assignment_id, "--fail-under", "100",
                    "--json", str(tmp_path / "correct.json")], env=env, cwd=release / "assignments")
    assert correct.returncode == 0, correct.stdout + correct.stderr
    result = json.loads((tmp_path / "correct.json").read_text())
    visible = [t for t in load_course(course, include_hidden=False).get(assignment_id).tests]
    assert result["score"] == pytest.approx(12.5) and result["max_score"] == pytest.approx(12.5)
    assert [t["name"] for t in result["assignments"][0]["tests"]] == [t.name for t in visible]
    assert all(t["status"] == "passed" for t in result["assignments"][0]["tests"])
    assert scan(release, course) == []      # installing it (build/, egg-info) leaked nothing either


def test_release_pyproject_is_valid_toml_whatever_quotes_the_markers_hold(monkeypatch):
    import tomllib

    from grader.platforms import files

    marked = ['tomli>=2.0; python_version < "3.11"', "pyyaml>=6.0; sys_platform != 'emscripten'"]
    monkeypatch.setattr(files, "requirements", lambda: marked)
    assert tomllib.loads(files.pyproject())["project"]["dependencies"] == marked
