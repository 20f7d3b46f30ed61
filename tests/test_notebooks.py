"""Notebook submissions: the same code grades the same as in .py files; what is not Python
never runs; errors point at cells; a notebook the grader cannot read is a graded error."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from paths import FIXTURES
from platform_samples import copy_course

from grader.course import load_course
from grader.formats import grade_json
from grader.grading import GradeOptions, grade_submission
from grader.notebooks import NotebookSettings, extract, read_notebook

IDS = ("backprop", "beam_search", "conv_shapes", "elbo", "gan_loss", "init_variance", "iou", "lstm")
OPTIONS = GradeOptions(max_examples=2, jobs=1)  # few examples: both sides draw the same ones


# One bug per assignment that two examples catch (the iou one crashes: a traceback to translate).
BUGGY = {"backprop": "buggy_ce_missing_1_over_n", "beam_search": "buggy_greedy_highest_id",
         "conv_shapes": "buggy_no_dilation", "elbo": "buggy_bernoulli_mean_over_pixels",
         "gan_loss": "buggy_disc_concat_bce", "init_variance": "buggy_fans_ignore_kernel",
         "iou": "buggy_nms_empty_crash", "lstm": "buggy_forget_on_input_path"}


def fixture(assignment_id: str, kind: str) -> Path:
    if kind == "buggy":
        return FIXTURES / assignment_id / f"{BUGGY[assignment_id]}.py"
    return sorted((FIXTURES / assignment_id).glob(f"{kind}_*.py"))[0]


def cells_of(source: str) -> list[str]:
    """``source`` cut as a student lays a notebook out: the imports, then a cell per definition."""
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = [0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            if first > starts[-1]:
                starts.append(first)
    bounds = [*starts, len(lines)]
    return ["\n".join(lines[a:b]).strip("\n") for a, b in zip(bounds, bounds[1:]) if "\n".join(lines[a:b]).strip()]


def write_notebook(path: Path, cells: list) -> Path:
    """A notebook of ``cells`` (a string is a code cell); written by nbformat, validated."""
    notebook = new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def as_notebook_cells(assignment_id: str, source: str) -> list:
    cells: list = [new_markdown_cell(f"# {assignment_id}\n\nMy solution.")]
    for code in cells_of(source):
        cells += [code, new_markdown_cell("Next:")]
    return cells


def normalized(result, names: tuple[str, ...]) -> list[dict]:
    """The grade JSON's assignments without what must differ: file names, where in them
    (a file's line or a notebook's cell), timings."""
    out = []
    for assignment in grade_json.to_dict(result)["assignments"]:
        text = json.dumps({k: v for k, v in assignment.items() if k not in ("file", "elapsed_s")})
        text = re.sub(r'File \\"[^"\\]*\\", line \d+', "File <where>", text)
        text = re.sub(r"File [\w.]+\.ipynb, cell \d+ \(`[^`]*`\), line \d+", "File <where>", text)
        text = re.sub(r" \(in cell \d+ \(`[^`]*`\), line \d+\)", "", text)
        text = re.sub(r" \[(\w+: cell \d+ \(`[^`]*`\)(; )?)+\]", "", text)
        for name in names:
            text = text.replace(name, "<file>")
        text = re.sub(r"<file>,? (cell \d+ \(`[^`]*`\), )?line \d+", "<file> <where>", text)
        data = json.loads(text)
        for test in data["tests"]:
            test.pop("elapsed_s")
        out.append(data)
    return out


def grade(course, folder: Path, *ids: str, options: GradeOptions = OPTIONS):
    from dataclasses import replace

    return grade_submission(folder, course, replace(options, only=ids))


@pytest.mark.parametrize("assignment_id", IDS)
@pytest.mark.parametrize("kind", ["correct", "buggy"])
def test_a_notebook_per_assignment_grades_as_the_same_code_in_a_py_file(course, tmp_path, assignment_id, kind):
    source = fixture(assignment_id, kind).read_text()
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / f"{assignment_id}.py").write_text(source)
    write_notebook(tmp_path / "nb" / f"{assignment_id}.ipynb", as_notebook_cells(assignment_id, source))
    as_py = grade(course, tmp_path / "py", assignment_id)
    as_nb = grade(course, tmp_path / "nb", assignment_id)
    assert as_nb.assignments[0].file.endswith(f"{assignment_id}.ipynb")
    assert as_nb.assignments[0].notes == ()
    names = (f"{assignment_id}.ipynb", f"{assignment_id}.py")
    assert normalized(as_nb, names) == normalized(as_py, names)
    assert (as_nb.score == 12.5) == (kind == "correct")


def test_one_notebook_holding_every_assignment_grades_as_the_eight_py_files(course, tmp_path):
    cells: list = [new_markdown_cell("# Homework: all eight assignments")]
    for assignment_id in IDS:
        source = fixture(assignment_id, "correct").read_text()
        (tmp_path / "py").mkdir(exist_ok=True)
        (tmp_path / "py" / f"{assignment_id}.py").write_text(source)
        cells += as_notebook_cells(assignment_id, source)
    write_notebook(tmp_path / "nb" / "homework.ipynb", cells)
    as_py = grade(course, tmp_path / "py", *IDS)
    as_nb = grade(course, tmp_path / "nb", *IDS)
    assert {Path(a.file).name for a in as_nb.assignments} == {"homework.ipynb"}
    names = ("homework.ipynb", *(f"{a}.py" for a in IDS))
    assert normalized(as_nb, names) == normalized(as_py, names)
    assert as_nb.score == as_py.score == 100.0


def test_a_general_notebook_holds_only_the_assignments_it_defines(course, tmp_path):
    source = fixture("iou", "correct").read_text()
    write_notebook(tmp_path / "sub" / "my_work.ipynb", as_notebook_cells("iou", source))
    result = grade(course, tmp_path / "sub", "iou", "lstm")
    by_id = {a.id: a for a in result.assignments}
    assert by_id["iou"].score == 12.5 and by_id["iou"].file.endswith("my_work.ipynb")
    assert by_id["lstm"].status == "missing"


def test_notebooks_the_course_maps_to_assignments(course, tmp_path):
    iou, conv = (fixture(a, "correct").read_text() for a in ("iou", "conv_shapes"))
    write_notebook(tmp_path / "sub" / "hw1.ipynb", as_notebook_cells("iou", iou))
    write_notebook(tmp_path / "sub" / "hw2.ipynb", as_notebook_cells("conv_shapes", conv))
    settings = NotebookSettings(files=(("hw1.ipynb", ("iou",)), ("hw2.ipynb", ("conv_shapes",))))
    result = grade(course, tmp_path / "sub", "iou", "conv_shapes", "lstm",
                   options=GradeOptions(max_examples=2, jobs=1, notebooks=settings))
    by_id = {a.id: a for a in result.assignments}
    assert (by_id["iou"].score, Path(by_id["iou"].file).name) == (12.5, "hw1.ipynb")
    assert (by_id["conv_shapes"].score, Path(by_id["conv_shapes"].file).name) == (12.5, "hw2.ipynb")
    assert by_id["lstm"].status == "missing"


def test_the_release_layout_holds_notebooks_too(course, tmp_path):
    source = fixture("conv_shapes", "correct").read_text()
    write_notebook(tmp_path / "sub" / "assignments" / "conv_shapes" / "conv_shapes.ipynb",
                   as_notebook_cells("conv_shapes", source))
    assert grade(course, tmp_path / "sub", "conv_shapes").score == 12.5


# --- what is not Python never runs --------------------------------------------------------------

def canary_notebook(path: Path, canary: Path, *, tag: str = "skip-grading") -> Path:
    source = fixture("conv_shapes", "correct").read_text()
    cells = cells_of(source)
    write = f"open({str(canary)!r}, 'w').write('ran')"
    return write_notebook(path, [
        new_markdown_cell("# conv_shapes"),
        f"%matplotlib inline\n!touch {canary}\n%run -i {canary}\n{cells[0]}",
        *cells[1:],
        f"%%bash\ntouch {canary}\n",
        f"%%writefile {canary}\nprint('ran')\n",
        "%%time\nchecked_in_time = conv2d_output_shape((8, 8), 3)\n",
        "conv2d_output_shape?\n",
        new_code_cell(f"{write}\nraise SystemExit('this cell must not run')", metadata={"tags": [tag]}),
        "display(conv2d_output_shape((4, 4), 3))\n",
    ])


def test_magics_shell_lines_and_skip_grading_cells_are_not_run(course, tmp_path):
    canary = tmp_path / "canary.txt"
    notebook = canary_notebook(tmp_path / "sub" / "conv_shapes.ipynb", canary)
    result = grade(course, tmp_path / "sub", "conv_shapes")
    assignment = result.assignments[0]
    assert not canary.exists()
    assert (assignment.status, assignment.score) == ("graded", 12.5), assignment.message
    notes = "\n".join(assignment.notes)
    assert "`%matplotlib inline` (IPython magic or shell line) dropped, not run" in notes
    assert "cell 2, line 2: `!touch " in notes and "cell 2, line 3: `%run -i " in notes
    assert "(`%%bash`) is a cell magic: not run" in notes
    assert "is a cell magic: not run" in notes.split("%%writefile")[1]
    assert "`%%time` (IPython magic or shell line) dropped" in notes  # its body, Python, is kept
    assert "`conv2d_output_shape?`" in notes
    cells = read_notebook(notebook).cells
    skipped = next(i for i, c in enumerate(cells, 1) if "skip-grading" in c.metadata.get("tags", []))
    assert f"conv_shapes.ipynb: cell {skipped} (`open(" in notes and "is tagged skip-grading: not run" in notes
    # The %%time cell's body ran: a name it defines is in the module.
    assert "checked_in_time" in extract(read_notebook(notebook)).code


def test_the_canary_cell_does_run_when_not_tagged_with_the_courses_tag(course, tmp_path):
    """The control: with another course tag, the same cell is graded, and it runs at import."""
    canary = tmp_path / "canary.txt"
    canary_notebook(tmp_path / "sub" / "conv_shapes.ipynb", canary, tag="skip-grading")
    settings = NotebookSettings(skip_tag="no-grade")
    result = grade(course, tmp_path / "sub", "conv_shapes",
                   options=GradeOptions(max_examples=2, jobs=1, notebooks=settings))
    assignment = result.assignments[0]
    # The sandbox refuses the write, or it lands; either way the cell ran, and the report says where.
    assert canary.exists() or assignment.status == "error"
    assert assignment.score == 0.0
    assert re.search(r"\(in cell \d+ \(`open\(", assignment.message), assignment.message


def test_a_course_tag_leaves_its_cells_out(course, tmp_path):
    source = fixture("conv_shapes", "correct").read_text()
    write_notebook(tmp_path / "sub" / "conv_shapes.ipynb", [
        *cells_of(source), new_code_cell("raise SystemExit('training loop')", metadata={"tags": ["no-grade"]})])
    settings = NotebookSettings(skip_tag="no-grade")
    result = grade(course, tmp_path / "sub", "conv_shapes",
                   options=GradeOptions(max_examples=2, jobs=1, notebooks=settings))
    assert result.assignments[0].score == 12.5
    assert any("is tagged no-grade: not run" in note for note in result.assignments[0].notes)


# --- where errors point -------------------------------------------------------------------------

def test_a_syntax_error_in_cell_3_names_cell_3_its_first_line_and_the_line_in_it(course, tmp_path):
    write_notebook(tmp_path / "sub" / "iou.ipynb", [
        new_markdown_cell("# Boxes"),
        "import torch",
        "def box_area(boxes):\n    w = boxes[:, 2] - boxes[:, 0]\n    return w * (boxes[:, 3] - boxes[:, 1]\n\n"
        "def box_iou(a, b):\n    return None\n",
        "x = 1",
    ])
    assignment = grade(course, tmp_path / "sub", "iou").assignments[0]
    assert assignment.status == "error" and assignment.score == 0.0
    assert assignment.message.startswith("iou.ipynb: SyntaxError in cell 3 (`def box_area(boxes):`), line 3")
    assert {t.status for t in assignment.tests} == {"error"}
    assert all(t.message == assignment.message for t in assignment.tests)


def test_a_runtime_traceback_names_the_cell_and_the_line_in_it(course, tmp_path):
    source = fixture("conv_shapes", "correct").read_text()
    write_notebook(tmp_path / "sub" / "conv_shapes.ipynb", [
        new_markdown_cell("# Shapes"),
        *cells_of(source),
        "def receptive_field(layers):\n    total = 1\n    return total + layers[0][99]\n",
    ])
    assignment = grade(course, tmp_path / "sub", "conv_shapes").assignments[0]
    failing = [t for t in assignment.tests if t.status == "error" and "receptive_field" in t.functions]
    assert failing, [t.status for t in assignment.tests]
    cell = len(cells_of(source)) + 2
    assert f"File conv_shapes.ipynb, cell {cell} (`def receptive_field(layers):`), line 3, in receptive_field" \
        in failing[0].traceback
    everything = json.dumps(grade_json.to_dict(grade(course, tmp_path / "sub", "conv_shapes")))
    assert "grader-notebook-" not in everything  # the generated module's folder never shows


def test_an_error_while_importing_names_the_cell(course, tmp_path):
    source = fixture("conv_shapes", "correct").read_text()
    write_notebook(tmp_path / "sub" / "conv_shapes.ipynb", [*cells_of(source), "scale = 2\nratio = scale / 0\n"])
    assignment = grade(course, tmp_path / "sub", "conv_shapes").assignments[0]
    cell = len(cells_of(source)) + 1
    assert assignment.status == "error"
    assert assignment.message == f"ZeroDivisionError: division by zero (in cell {cell} (`scale = 2`), line 2)"


def test_a_violation_names_the_cell_of_the_function(course, tmp_path):
    source = (FIXTURES / "backprop" / "buggy_uses_autograd.py").read_text()
    write_notebook(tmp_path / "sub" / "backprop.ipynb", as_notebook_cells("backprop", source))
    assignment = grade(course, tmp_path / "sub", "backprop").assignments[0]
    violations = [t for t in assignment.tests if t.status == "violation"]
    assert violations
    assert all(re.search(r"\[mlp_loss_and_grads: cell \d+ \(`", t.message) for t in violations)


# --- notebooks the grader cannot read -----------------------------------------------------------

NOTEBOOK_V3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
               "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python",
                                          "outputs": [], "metadata": {}}], "metadata": {}}]}


@pytest.mark.parametrize("content, expected", [
    ('{"cells": [{"cell_type": "code", "source": "x = ',
     "iou.ipynb is not a Jupyter notebook (not valid notebook JSON"),
    (json.dumps(NOTEBOOK_V3), "iou.ipynb is in notebook format 3; the grader reads format 4 (open it in a current "
                              "Jupyter or Colab and save it again)"),
    ("", "iou.ipynb is empty (0 cells): save the notebook in Jupyter and submit it again"),
    (nbformat.writes(new_notebook()), "iou.ipynb has no code cells (0 cells): nothing to grade"),
    (nbformat.writes(new_notebook(cells=[new_markdown_cell("only words")])),
     "iou.ipynb has no code cells (1 cell): nothing to grade"),
    ('{"nbformat": 4, "nbformat_minor": 5, "cells": "none"}', "iou.ipynb is not a valid Jupyter notebook"),
    ('["a list"]', "iou.ipynb is not a Jupyter notebook (JSON without notebook cells)"),
    (b"\x89PNG\r\n\x1a\n\x00\xff", "iou.ipynb is not a Jupyter notebook (not UTF-8 text)"),
], ids=["corrupt-json", "nbformat-3", "empty-file", "no-cells", "markdown-only", "invalid", "not-a-notebook",
        "binary"])
def test_an_unreadable_notebook_is_a_graded_error_with_a_clear_message(course, tmp_path, content, expected):
    path = tmp_path / "sub" / "iou.ipynb"
    path.parent.mkdir()
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = grade(course, tmp_path / "sub", "iou")
    assignment = result.assignments[0]
    assert (assignment.status, assignment.score) == ("error", 0.0)
    assert assignment.message.startswith(expected), assignment.message
    assert {t.status for t in assignment.tests} == {"error"}
    json.dumps(grade_json.to_dict(result), allow_nan=False)  # every output can still be written


def test_a_notebook_over_the_courses_size_limit_is_a_graded_error(tmp_path):
    course = load_course(copy_course(tmp_path / "course", ("conv_shapes",),
                                     "[notebooks]\nmax_mb = 0.05\n"))
    assert course.config.notebooks.max_mb == 0.05
    source = fixture("conv_shapes", "correct").read_text()
    plot = new_code_cell("plt.plot(losses)", metadata={"tags": ["skip-grading"]},
                         outputs=[new_output("display_data", data={"image/png": "iVBORw0KGgo" * 10_000})])
    path = write_notebook(tmp_path / "sub" / "conv_shapes.ipynb", [*cells_of(source), plot])
    assert path.stat().st_size > 0.05 * 1024 * 1024
    assignment = grade(course, tmp_path / "sub", "conv_shapes").assignments[0]
    assert (assignment.status, assignment.score) == ("error", 0.0)
    assert re.fullmatch(r"conv_shapes\.ipynb is 0\.1 MB, over this course's limit of 0\.05 MB for a notebook; "
                        r"clear the outputs \(Edit > Clear All Outputs\) and submit it again", assignment.message)
    # The same notebook with its outputs cleared is graded.
    cleared = read_notebook(path, max_mb=10)
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(cleared, path)
    assert grade(course, tmp_path / "sub", "conv_shapes").assignments[0].score == 12.5


def test_a_py_file_wins_over_a_notebook_for_the_same_assignment(course, tmp_path):
    source = fixture("iou", "correct").read_text()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "iou.py").write_text(source)
    (tmp_path / "sub" / "iou.ipynb").write_text("not a notebook")
    shutil.copy(tmp_path / "sub" / "iou.ipynb", tmp_path / "sub" / "scratch.ipynb")
    assignment = grade(course, tmp_path / "sub", "iou").assignments[0]
    assert assignment.score == 12.5 and assignment.file.endswith("iou.py")


def test_several_notebooks_each_hold_the_assignments_they_define(course, tmp_path):
    from grader.submission import locate_files

    specs = {a.id: a for a in course.assignments}
    folder = tmp_path / "sub"
    for name, assignment_id in (("shapes", "conv_shapes"), ("boxes", "iou"), ("backprop", "backprop")):
        write_notebook(folder / f"{name}.ipynb",
                       as_notebook_cells(assignment_id, fixture(assignment_id, "correct").read_text()))
    (folder / "notes.ipynb").write_text("{ not a notebook")
    chosen = ("conv_shapes", "iou", "lstm")  # backprop not among them: its notebook is still its own
    found = locate_files(folder, [specs[i].student_file for i in chosen],
                         functions={specs[i].student_file: specs[i].functions for i in chosen})
    assert {name: path.name if path else None for name, path in found.items()} == {
        "conv_shapes.py": "shapes.ipynb", "iou.py": "boxes.ipynb", "lstm.py": None}


def raw_notebook(sources: list[str], *, minor: int, with_ids: bool, metadata: dict | None = None) -> dict:
    """A notebook as other tools write one (Colab: format 4.0; older tools: 4.5 without cell ids)."""
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": text.splitlines(True), **({"id": f"c{i}"} if with_ids else {})}
             for i, text in enumerate(sources)]
    return {"nbformat": 4, "nbformat_minor": minor, "metadata": metadata or {}, "cells": cells}


@pytest.mark.parametrize("style", ["colab", "4.5-without-ids", "byte-order-mark", "windows-newlines"])
def test_notebooks_as_other_tools_save_them_are_graded(course, tmp_path, capfd, style):
    source = fixture("conv_shapes", "correct").read_text()
    if style == "windows-newlines":
        source = source.replace("\n", "\r\n")
    data = raw_notebook(cells_of(source), minor=5 if style == "4.5-without-ids" else 0,
                        with_ids=False, metadata={"colab": {"provenance": []}} if style == "colab" else None)
    text = ("\ufeff" if style == "byte-order-mark" else "") + json.dumps(data)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "conv_shapes.ipynb").write_text(text, encoding="utf-8")
    assignment = grade(course, tmp_path / "sub", "conv_shapes").assignments[0]
    assert (assignment.status, assignment.score) == ("graded", 12.5), assignment.message
    assert "Warning" not in capfd.readouterr().err  # nbformat's complaints are not the student's
