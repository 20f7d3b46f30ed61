"""``grader release --format notebook``: per assignment a notebook (handout, stubs, install and
check cells) that opens in a fresh Jupyter kernel and self-checks in place: 0 on the stubs,
quietly, and full marks once a correct solution is pasted into the stub cells."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import nbformat
import pytest
from paths import FIXTURES, ROOT

from grader.cli import main
from grader.course import load_course
from grader.grading import GradeOptions, grade_submission
from grader.notebooks import extract, read_notebook
from grader.notebooks.handouts import code_cells, markdown_sections
from grader.release import find_leaks
from grader.report.html import render_report

CHECKED = "conv_shapes"  # the assignment whose notebook runs in a kernel: its visible tests are quick


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "students"
    assert main(["release", "--out", str(out), "--format", "notebook", "--course", str(ROOT)]) == 0
    # Fewer examples per test, so a kernel's self-check stays quick (the course setting students get).
    toml = out / "course.toml"
    toml.write_text(toml.read_text().replace("[course]\n", "[course]\nmax_examples = 5\n", 1))
    return out


def tags(cell) -> list[str]:  # type: ignore[no-untyped-def]
    return list(cell.get("metadata", {}).get("tags", []))


def test_each_assignment_gets_a_notebook_of_its_handout_and_stubs(release, course):
    for spec in course.assignments:
        folder = release / "assignments" / spec.id
        path = folder / f"{spec.id}.ipynb"
        notebook = read_notebook(path)  # nbformat 4, validated
        assert not (folder / spec.student_file).exists()  # --format notebook: the notebook instead
        markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
        handout = markdown_sections((ROOT / "assignments" / spec.id / "README.md").read_text())
        assert markdown[:len(handout)] == handout and len(handout) > 1
        code = [c for c in notebook.cells if c.cell_type == "code"]
        install, *stubs, check = code
        assert tags(install) == ["skip-grading"] and "%pip install" in install.source
        assert tags(check) == ["skip-grading"]
        assert f"check_here({path.name!r})" in check.source
        assert [c.source for c in stubs] == code_cells((ROOT / "assignments" / spec.id / spec.student_file).read_text())
        assert all(not tags(c) for c in stubs)
        defined = {n.name for n in ast.parse(extract(notebook).code).body if isinstance(n, ast.FunctionDef)}
        assert set(spec.functions) <= defined
    assert find_leaks(release, load_course(ROOT)) == []


def test_the_notebook_release_is_the_same_on_every_build(release, tmp_path):
    again = tmp_path / "again"
    assert main(["release", "--out", str(again), "--format", "notebook", "--course", str(ROOT)]) == 0
    for path in (release / "assignments").rglob("*.ipynb"):
        assert (again / path.relative_to(release)).read_bytes() == path.read_bytes()


def test_both_formats_and_the_default(tmp_path, course):
    assert main(["release", "--out", str(tmp_path / "both"), "--format", "both", "--course", str(ROOT),
                 "--install", "git+https://example.org/course-release.git"]) == 0
    assert main(["release", "--out", str(tmp_path / "py"), "--course", str(ROOT)]) == 0
    for spec in course.assignments:
        both = tmp_path / "both" / "assignments" / spec.id
        assert (both / spec.student_file).is_file() and (both / f"{spec.id}.ipynb").is_file()
        assert "git+https://example.org/course-release.git" in read_notebook(both / f"{spec.id}.ipynb").cells[
            next(i for i, c in enumerate(read_notebook(both / f"{spec.id}.ipynb").cells) if c.cell_type == "code")
        ].source
        assert not list((tmp_path / "py" / "assignments" / spec.id).glob("*.ipynb"))
    readme = (tmp_path / "both" / "README.md").read_text()
    assert "## Notebooks" in readme and "the `.py`\nfile is graded" in readme
    assert "## Notebooks" not in (tmp_path / "py" / "README.md").read_text()


def test_the_notebook_release_is_a_submission_its_stubs_score_0_quietly(release):
    course = load_course(release, include_hidden=False)
    result = grade_submission(release, course, GradeOptions(visible_only=True, max_examples=2, jobs=1,
                                                            only=(CHECKED, "iou")))
    assert result.score == 0.0
    for assignment in result.assignments:
        assert assignment.status == "graded" and assignment.file.endswith(".ipynb"), assignment.message
        assert all(t.status == "failed" and not t.is_implemented for t in assignment.tests)
        assert any("is tagged skip-grading: not run" in note for note in assignment.notes)


# --- the check cell, run in a fresh kernel ------------------------------------------------------

def run_in_kernel(path: Path):  # type: ignore[no-untyped-def]
    """Execute every cell of the notebook at ``path`` as Jupyter would, in a fresh kernel."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra: pip install -e '.[test]'")
    pytest.importorskip("ipykernel", reason="ipykernel is in the test extra: pip install -e '.[test]'")
    from jupyter_client.kernelspec import NoSuchKernel

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.reset_execution_trackers()
    setup = client.setup_kernel()
    try:
        setup.__enter__()
    except (NoSuchKernel, RuntimeError, TimeoutError, OSError, nbclient.exceptions.DeadKernelError) as exc:
        pytest.skip(f"no Jupyter kernel could start here ({type(exc).__name__}: {exc})")
    try:
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    finally:
        setup.__exit__(None, None, None)
    return notebook


def check_output(notebook) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    """(score, max score, the HTML shown) of the check cell, the notebook's last."""
    outputs = notebook.cells[-1].outputs
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert len(shown) == 1, outputs
    data = shown[0].data
    found = re.match(r"SubmissionResult\(submission='([^']+)', score=([\d.]+), max_score=([\d.]+)", data["text/plain"])
    assert found, data["text/plain"][:200]
    return float(found.group(2)), float(found.group(3)), data["text/html"]


def assert_quiet(notebook) -> None:  # type: ignore[no-untyped-def]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text
            assert "Traceback" not in str(output.get("text", "")), output


def test_the_check_cell_scores_the_stubs_0_without_noise(release):
    path = release / "assignments" / CHECKED / f"{CHECKED}.ipynb"
    notebook = run_in_kernel(path)
    score, max_score, shown = check_output(notebook)
    assert (score, max_score) == (0.0, 12.5)
    assert_quiet(notebook)
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
    assert page.startswith("<!doctype html>") and "Self-check" in page and CHECKED in page
    assert "Traceback" not in page


def paste_solution(path: Path, solution: str, functions: tuple[str, ...]) -> None:
    """Replace each stub cell with the solution's definition of that function; the solution's
    imports and helpers go into the cell of the stub's imports."""
    notebook = nbformat.read(path, as_version=4)
    pieces = code_cells(solution)
    by_name: dict[str, str] = {}
    rest: list[str] = []
    for piece in pieces:
        names = [n.name for n in ast.parse(piece).body if isinstance(n, ast.FunctionDef)]
        if names and names[0] in functions:
            by_name[names[0]] = piece
        else:
            rest.append(piece)
    code = [c for c in notebook.cells if c.cell_type == "code" and "skip-grading" not in tags(c)]
    code[0].source = "\n\n".join(rest)
    for cell in code[1:]:
        name = next(n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef))
        cell.source = by_name.pop(name)
    assert not by_name
    nbformat.write(notebook, path)


def test_the_check_cell_gives_full_marks_to_a_correct_solution_pasted_in(release, course):
    spec = next(a for a in course.assignments if a.id == CHECKED)
    path = release / "assignments" / CHECKED / f"{CHECKED}.ipynb"
    solution = sorted((FIXTURES / CHECKED).glob("correct_*.py"))[0].read_text()
    original = path.read_bytes()
    try:
        paste_solution(path, solution, spec.functions)
        notebook = run_in_kernel(path)
    finally:
        path.write_bytes(original)
    score, max_score, shown = check_output(notebook)
    assert score == max_score == 12.5
    assert_quiet(notebook)
    assert "12.5" in html.unescape(shown)


def test_results_render_in_jupyter_as_the_html_report(course, tmp_path):
    from platform_samples import sample_result

    result = sample_result()
    shown = result._repr_html_()
    assert shown.startswith("<iframe") and html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1)) \
        == render_report(result)
    one = result.assignments[0]._repr_html_()
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', one).group(1))
    assert one.startswith("<iframe") and one.count("<iframe") == 1
    assert "box_iou matches torchvision" in page and "elbo test" not in page


def test_a_check_cell_that_lost_its_tag_does_nothing_when_graded(release, course, tmp_path):
    """Graded, the notebook is a module (not ``__main__``): its install and check cells are harmless."""
    spec = next(a for a in course.assignments if a.id == CHECKED)
    path = tmp_path / "sub" / f"{CHECKED}.ipynb"
    path.parent.mkdir()
    path.write_bytes((release / "assignments" / CHECKED / f"{CHECKED}.ipynb").read_bytes())
    paste_solution(path, sorted((FIXTURES / CHECKED).glob("correct_*.py"))[0].read_text(), spec.functions)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)
    nbformat.write(notebook, path)
    assert "check_here(" in extract(read_notebook(path)).code
    result = grade_submission(path.parent, course, GradeOptions(only=(CHECKED,), max_examples=2, jobs=1))
    assert result.assignments[0].score == 12.5, result.assignments[0].message
