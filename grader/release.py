"""The student release: what students receive, and a proof that nothing secret is in it.

``build_release`` writes, into an empty folder: the engine (``grader/``) with a pyproject that
installs it, the course's ``assignments/`` (stubs, handouts, visible suites, helper modules), a
``course.toml`` without the hidden tests' entries, a README for students and the GitHub Classroom
workflow. Nothing of ``reference/`` goes in; ``find_leaks`` checks it line by line before the
release is declared built.

``format``: ``py`` (the stubs as ``<id>.py``), ``notebook`` (each stub and its handout as
``<id>.ipynb`` instead, see :mod:`grader.notebooks.handouts`) or ``both``.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import jinja2

from grader.config import CONFIG_FILE, to_toml
from grader.course import Course, load_course
from grader.errors import CourseError, GraderError
from grader.platforms.files import engine_files, pyproject, template, tree_files

MIN_SECRET_LINE_CHARS = 24
RELEASE_FORMATS = ("py", "notebook", "both")  # shorter lines (``return out``) are too common to be a leak


def _render(name: str, **values: object) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=False, autoescape=False)
    return env.from_string(template(name)).render(**values)


def classroom_workflow(course: Course, *, fail_under: float = 0.0) -> str:
    """The GitHub Classroom workflow: one ``grader check --fail-under`` step per assignment."""
    assignments = [{"id": a.id, "folder": f"assignments/{a.id}"} for a in course.assignments]
    return _render("classroom.yml.j2", assignments=assignments, fail_under=f"{fail_under:g}")


def _late_policy_text(course: Course) -> str:
    late = course.config.late_policy
    if late.penalty_per_day <= 0:
        return ""
    grace = f" after a grace period of {late.grace_period_minutes:g} minutes" if late.grace_period_minutes else ""
    return (f"{late.penalty_per_day:g}% of the score per started day late{grace}, "
            f"at most {late.max_penalty:g}%.")


def build_release(course_root: str | Path, out_dir: str | Path, *, fail_under: float = 0.0,
                  format: str = "py", install_spec: str | None = None, corpus: bool = True) -> Path:
    """Write the student release of the course at ``course_root`` into ``out_dir`` (new or empty).

    ``install_spec``: what a notebook's install cell installs the grader from (a pip
    requirement or URL; default: the release's own root, for a notebook opened in it)."""
    if format not in RELEASE_FORMATS:
        raise GraderError(f"release format {format!r}: expected one of {', '.join(RELEASE_FORMATS)}")
    full = load_course(course_root)
    visible = load_course(full.root, include_hidden=False)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GraderError(f"{out}: exists and is not an empty folder; pick a new --out")
    out.mkdir(parents=True, exist_ok=True)
    for path, rel in engine_files():
        _copy(path, out / rel)
    for path in tree_files(full.root / "assignments"):
        _copy(path, out / "assignments" / path.relative_to(full.root / "assignments"))
    if format != "py":
        _write_notebooks(visible, out, keep_py=format == "both", install_spec=install_spec)
    visible_names = {(a.id, t.name) for a in visible.assignments for t in a.tests}
    (out / CONFIG_FILE).write_text(to_toml(full.config, keep_test=lambda aid, name: (aid, name) in visible_names))
    (out / "pyproject.toml").write_text(pyproject())
    file_of = {a.id: f"{Path(a.student_file).stem}.ipynb" if format == "notebook" else a.student_file
               for a in visible.assignments}
    files = ", ".join(file_of.values())
    (out / "README.md").write_text(_render(
        "release_README.md.j2", title="Deep-learning assignments", assignments=visible.assignments,
        example=visible.assignments[0].id, seed=full.config.seed, files=files,
        late_policy=_late_policy_text(full), file_of=file_of,
        has_notebooks=format != "py", has_py_too=format == "both"))
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(classroom_workflow(visible, fail_under=fail_under))
    if corpus and full.has_reference:
        # The visible tests' cases, drawn now, so `grader check` replays them instead of drawing
        # them on every run; no hidden test and no reference answer (find_leaks checks).
        from grader.corpus.build import build_corpus
        from grader.corpus.fingerprint import VISIBLE
        from grader.corpus.use import SHIPPED

        build_corpus(full, out / SHIPPED, only=tuple(a.id for a in visible.assignments), scope=VISIBLE)
    leaks = find_leaks(out, full)
    if leaks:
        shutil.rmtree(out)
        raise CourseError("the release would leak the reference or hidden tests (nothing written):\n  "
                          + "\n  ".join(leaks[:20]))
    return out


def _write_notebooks(course: Course, out: Path, *, keep_py: bool, install_spec: str | None) -> None:
    """Each assignment's handout notebook beside (``both``) or instead of its ``.py`` stub."""
    from grader.notebooks.handouts import DEFAULT_INSTALL_SPEC, write_handout_notebook

    for spec in course.assignments:
        folder = out / "assignments" / spec.id
        if not (folder / spec.student_file).is_file():
            continue
        write_handout_notebook(folder, spec.id, spec.student_file, skip_tag=course.config.notebooks.skip_tag,
                               install_spec=install_spec or DEFAULT_INSTALL_SPEC)
        if not keep_py:
            (folder / spec.student_file).unlink()


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _body_lines(source: str) -> set[str]:
    """The stripped lines of every function body in ``source`` (docstrings and comments out)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            for stmt in body:
                for line in lines[stmt.lineno - 1:stmt.end_lineno]:
                    text = line.strip()
                    if len(text) >= MIN_SECRET_LINE_CHARS and not text.startswith("#"):
                        out.add(text)
    return out


def _text_lines(path: Path) -> set[str]:
    try:
        return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    except (UnicodeDecodeError, OSError):
        return set()


def secret_lines(course: Course) -> set[str]:
    """Lines of the reference's function bodies (solutions and hidden tests) that nothing
    students legitimately receive (their assignments, the engine) also contains."""
    secret: set[str] = set()
    for path in tree_files(course.root / "reference"):
        if path.suffix == ".py":
            secret |= _body_lines(path.read_text(encoding="utf-8"))
    shared: set[str] = set()
    for path in tree_files(course.root / "assignments"):
        shared |= _text_lines(path)
    for path, _ in engine_files():
        shared |= _text_lines(path)
    return secret - shared


def _function_bodies(source: str) -> dict[str, str]:
    """Each function's body (docstring out), normalised by the AST, to its name."""
    out: dict[str, str] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return out
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            if body and not (len(body) == 1 and isinstance(body[0], (ast.Raise, ast.Pass))):
                out[ast.dump(ast.Module(body=body, type_ignores=[]))] = node.name
    return out


def solution_bodies(course: Course) -> dict[str, str]:
    """The reference's solutions of the student functions: normalised body to ``id.function``
    (a copy anywhere, even one the course put in assignments/ itself, is a leak)."""
    out: dict[str, str] = {}
    for spec in course.assignments:
        path = course.root / "reference" / spec.id / spec.student_file
        if path.is_file():
            for body, name in _function_bodies(path.read_text(encoding="utf-8")).items():
                if name in spec.functions:
                    out[body] = f"{spec.id}.{name}"
    return out


def _notebook_code(path: Path) -> str | None:
    from grader.notebooks import NotebookError, extract, read_notebook

    try:
        return extract(read_notebook(path, max_mb=100.0), skip_tag="").code
    except NotebookError:
        return None


def find_leaks(release_dir: str | Path, course: Course) -> list[str]:
    """What in ``release_dir`` comes from the reference: a reference-only line, a hidden test's
    name, a copy of a reference solution, a reference folder. Empty when the release is clean."""
    release_dir = Path(release_dir)
    secrets = secret_lines(course)
    solutions = solution_bodies(course)
    hidden_names = sorted({t.name for a in course.assignments for t in a.tests if t.visibility == "hidden"})
    leaks = [f"{p}: a reference folder" for p in release_dir.rglob("reference") if p.is_dir()]
    leaks += _corpus_leaks(release_dir, course)
    for path in tree_files(release_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        rel = path.relative_to(release_dir)
        for line in sorted(secrets & {line.strip() for line in text.splitlines()}):
            leaks.append(f"{rel}: reference line {line!r}")
        for name in hidden_names:
            if name in text:
                leaks.append(f"{rel}: hidden test name {name!r}")
        code = _notebook_code(path) if path.suffix == ".ipynb" else text if path.suffix == ".py" else None
        if code is not None:
            for body, name in _function_bodies(code).items():
                if body in solutions:
                    leaks.append(f"{rel}: function {name!r} is the reference solution of {solutions[body]}")
    return leaks


def _corpus_leaks(release_dir: Path, course: Course) -> list[str]:
    """A corpus file in a release may hold the visible tests' cases only: a hidden test's cases,
    a reference answer, or a file that cannot be read as a corpus is a leak."""
    from grader.corpus import store

    visible = {t.key for a in course.assignments for t in a.tests if t.visibility == "visible"}
    leaks = []
    for path in sorted(release_dir.rglob("*.corpus")):
        rel = path.relative_to(release_dir)
        try:
            corpus = store.read(path, course.root)
        except store.CorpusError as exc:
            leaks.append(f"{rel}: not a readable corpus ({exc}), so it cannot be shown to hold no hidden data")
            continue
        if corpus.scope != "visible":
            leaks.append(f"{rel}: a corpus of scope {corpus.scope!r} (a release may ship 'visible' only)")
        if corpus.answers:
            leaks.append(f"{rel}: {len(corpus.answers)} reference answers")
        hidden = sorted({key[0] for key in corpus.cases} - visible)
        leaks += [f"{rel}: cases of hidden test {key.split('::', 1)[-1]!r}" for key in hidden]
    return leaks
