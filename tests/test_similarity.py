"""grader similarity on a synthetic class: disguised copies flagged, independent solutions and stubs not.

The class is built from the fixtures' independent correct solutions (``correct_*.py``, one
style each) and copies of them disguised by the transformations below (written here, and
imported by ``benchmarks/similarity.py``).
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import random
import tokenize
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from paths import FIXTURES, ROOT

from grader.cli import main
from grader.config import SimilarityConfig
from grader.course import load_course
from grader.similarity import compare_entries, run_similarity, submission_code
from grader.similarity.fingerprints import Fingerprint, boilerplate_of, fingerprint
from grader.similarity.index import scored_pairs
from grader.similarity.regions import match_regions
from grader.similarity.tokens import normalise

SETTINGS = SimilarityConfig()
_KEEP = set(dir(builtins)) | {"torch", "math", "F", "nn", "np", "annotations", "self"}


# --- disguises ---------------------------------------------------------------------------------

def rename_identifiers(source: str, keep: set[str], seed: int = 0) -> str:
    """Every name the student chose (variables, parameters, helpers) renamed; ``keep``: the graded API."""
    rng = random.Random(seed)
    mapping: dict[str, str] = {}

    def new(name: str) -> str:
        if name in _KEEP or name in keep or name.startswith("__"):
            return name
        if name not in mapping:
            mapping[name] = f"{rng.choice(['tmp', 'val', 'my', 'q', 'thing'])}_{len(mapping)}{rng.randrange(10)}"
        return mapping[name]

    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            node.id = new(node.id)
            return node

        def visit_arg(self, node: ast.arg) -> ast.arg:
            node.arg = new(node.arg)
            return node

        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
            node.name = new(node.name)
            self.generic_visit(node)
            return node

        def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
            node.name = new(node.name)
            self.generic_visit(node)
            return node

    return ast.unparse(Renamer().visit(ast.parse(source)))


def reorder_functions(source: str, seed: int = 0) -> str:
    """The top-level functions and classes in another order (imports and constants first)."""
    tree = ast.parse(source)
    definitions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    others = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    random.Random(seed).shuffle(definitions)
    tree.body = others + definitions
    return ast.unparse(tree)


def relayout(source: str, seed: int = 0) -> str:
    """Comments added, two-space indentation, different spacing, blank lines: the same program."""
    rng = random.Random(seed)
    pieces = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            continue
        pieces.append((tok.type, tok.string))
        if tok.type == tokenize.NEWLINE and rng.random() < 0.5:
            pieces.append((tokenize.COMMENT, rng.choice(["# done here", "# my own way", "# TODO tidy"])))
            pieces.append((tokenize.NL, "\n"))
    spaced = tokenize.untokenize(pieces)  # compatibility mode: spaces between tokens, its own indentation
    lines = []
    for line in spaced.splitlines():
        stripped = line.lstrip(" ")
        lines.append(" " * ((len(line) - len(stripped)) // 2) + stripped)
        if rng.random() < 0.15:
            lines.append("")
    return "\n".join(lines) + "\n"


def pad_with_dead_code(source: str, seed: int = 0, share: float = 0.5) -> str:
    """Statements that change nothing (``print``, ``pass``, unused names, ``if False:``) after some statements."""
    rng = random.Random(seed)
    padding = ["print('checking')", "pass", "_unused = 0", "if False:\n    print(1)", "_debug = None"]

    class Padder(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            super().generic_visit(node)
            for name in () if isinstance(node, ast.Module) else ("body", "orelse"):
                body = getattr(node, name, None)
                if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    padded: list[ast.stmt] = []
                    for statement in body:
                        padded.append(statement)
                        if not isinstance(statement, (ast.Return, ast.Raise)) and rng.random() < share:
                            padded.append(ast.parse(rng.choice(padding)).body[0])
                    setattr(node, name, padded)
            return node

    return ast.unparse(Padder().visit(ast.parse(source)))


def disguise(source: str, stub_names: set[str], seed: int = 0) -> str:
    """Every disguise at once."""
    return relayout(reorder_functions(rename_identifiers(source, stub_names, seed), seed + 1), seed + 2)


# --- the synthetic class -----------------------------------------------------------------------

def _styles(assignment_id: str) -> list[str]:
    return [p.read_text() for p in sorted((FIXTURES / assignment_id).glob("correct_*.py"))][:3]


def _stub(spec) -> str:  # type: ignore[no-untyped-def]
    return (Path(spec.public_dir) / spec.student_file).read_text()


@pytest.fixture(scope="module")
def bundled():
    return load_course(ROOT, include_hidden=False)


@pytest.fixture(scope="module")
def synthetic_class(bundled, tmp_path_factory):
    """Entries holding all eight assignments: three independent students, six copiers, two stubs."""
    root = tmp_path_factory.mktemp("class")
    for spec in bundled.assignments:
        names = set(boilerplate_of(spec.public_dir, spec.student_file).stub_names)
        one, two, three = _styles(spec.id)
        files = {
            "indep_0": one, "indep_1": two, "indep_2": three,
            "exact_0": one,
            "renamed_1": reorder_functions(rename_identifiers(two, names, 1), 2),
            "relaid_2": relayout(three, 3),
            "disguised_0": disguise(one, names, 4),
            "commented_1": relayout(two, 5),
            "padded_2": pad_with_dead_code(rename_identifiers(three, names, 6), 7),
            "stub_a": _stub(spec), "stub_b": _stub(spec),
        }
        for entry, text in files.items():
            compile(text, f"{entry}/{spec.student_file}", "exec")  # every disguise is still a program
            folder = root / entry
            folder.mkdir(exist_ok=True)
            (folder / spec.student_file).write_text(text)
    return root


EXPECTED = {("disguised_0", "exact_0"), ("disguised_0", "indep_0"), ("exact_0", "indep_0"),
            ("indep_1", "renamed_1"), ("commented_1", "indep_1"), ("commented_1", "renamed_1"),
            ("indep_2", "relaid_2"), ("indep_2", "padded_2"), ("padded_2", "relaid_2")}


@pytest.fixture(scope="module")
def compared(bundled, synthetic_class):
    entries = [(p.name, p) for p in sorted(synthetic_class.iterdir())]
    return compare_entries(entries, bundled.assignments, SETTINGS, jobs=1)


@pytest.mark.parametrize("assignment", ["backprop", "init_variance", "conv_shapes", "lstm", "elbo", "gan_loss",
                                        "iou", "beam_search"])
def test_disguised_copies_and_only_they_are_flagged(compared, assignment):
    flagged = {(p.submission_a, p.submission_b): p.score for p in compared.for_assignment(assignment)}
    assert set(flagged) == EXPECTED
    assert all(score >= 0.7 for score in flagged.values()), flagged
    assert flagged[("exact_0", "indep_0")] == 1.0


def test_independent_solutions_and_stubs_stay_far_below_the_threshold(bundled, synthetic_class):
    everything = compare_entries([(p.name, p) for p in sorted(synthetic_class.iterdir())], bundled.assignments,
                                 SimilarityConfig(threshold=0.0, min_tokens=1), jobs=1)
    scores = {(p.assignment, p.submission_a, p.submission_b): p.score for p in everything.pairs}
    independent = [scores.get((a, x, y), 0.0) for a in compared_ids(bundled)
                   for x, y in itertools.combinations(["indep_0", "indep_1", "indep_2"], 2)]
    assert max(independent) < 0.25
    assert not [k for k in scores if "stub_a" in k or "stub_b" in k]  # a stub has no code of its own


def compared_ids(course) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.id for a in course.assignments]


def test_ranked_by_score(compared):
    scores = [p.score for p in compared.pairs]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_the_public_names_are_guarded():
    import grader.similarity

    assert grader.similarity.__all__ == sorted(grader.similarity.__all__)
    assert set(grader.similarity.__all__) == {"Pair", "SimilarityResult", "compare_entries", "run_similarity",
                                              "submission_code"}


# --- the stub never counts ---------------------------------------------------------------------

def test_the_stubs_own_code_is_no_fingerprint(bundled):
    for spec in bundled.assignments:
        assert fingerprint(_stub(spec), boilerplate_of(spec.public_dir, spec.student_file)).own_tokens == 0


def test_a_stub_with_one_function_filled_in_keeps_only_that_function(bundled):
    spec = bundled.get("iou")
    boilerplate = boilerplate_of(spec.public_dir, spec.student_file)
    body = "    x1, y1, x2, y2 = boxes.unbind(dim=1)\n    return (x2 - x1) * (y2 - y1)\n"
    filled = _stub(spec).replace("    raise NotImplementedError\n", body, 1)
    own = fingerprint(filled, boilerplate)
    assert 0 < own.own_tokens < 40  # the body, not the docstrings, signatures and imports around it


def test_pair_view_marks_no_handout_code(bundled):
    spec = bundled.get("iou")
    boilerplate = boilerplate_of(spec.public_dir, spec.student_file)
    stub = _stub(spec)
    docstring = '    """Areas ``(x2 - x1) * (y2 - y1)`` of ``boxes (N, 4)``: a tensor of shape ``(N,)``."""\n'
    assert docstring in stub
    solution = _styles("iou")[0]
    with_docstrings = solution.replace("def box_area(boxes):\n", "def box_area(boxes):\n" + docstring)
    view = match_regions(with_docstrings, with_docstrings, boilerplate)
    marked = "".join(t for line in view.a.lines for t, region, _ in line.segments if region >= 0)
    assert "Areas" not in marked and "from __future__" not in marked and "def box_area" not in marked
    assert "alive &= ~over[i]" in marked and view.regions >= 1


# --- normalisation -----------------------------------------------------------------------------

def test_names_literals_comments_and_layout_do_not_change_the_tokens():
    a = "def f(x, y):\n    total = x + 2 * y  # sum\n    return total\n"
    b = "def f(p,q) :\n\n  # other\n  acc=(p+ 3.5*q)\n  return acc\n"
    assert normalise(a).symbols == normalise(b).symbols


def test_api_names_and_operators_are_kept():
    assert normalise("y = torch.clamp(x, min=0)\n").symbols != normalise("y = torch.clip(x, min=0)\n").symbols
    assert normalise("y = a - b\n").symbols != normalise("y = a + b\n").symbols
    assert normalise("y = f(x, dim=1)\n").symbols != normalise("y = f(x, axis=1)\n").symbols


def test_broken_code_is_read_up_to_its_fault():
    tokens = normalise("def f(x):\n    return (x +\n")  # unclosed bracket at the end of the file
    assert "return" in tokens.symbols
    assert len(normalise("def f(:\n  \x00 'unterminated\n")) >= 0


def test_pass_and_print_statements_are_padding():
    plain = "def f(x):\n    y = x + 1\n    return y\n"
    padded = "def f(x):\n    print('here', x)\n    y = x + 1\n    pass\n    return y\n"
    assert normalise(plain).symbols == normalise(padded).symbols
    assert normalise("print = log\n").symbols != normalise("\n").symbols  # not a print statement


def test_fstrings_are_one_string():
    assert normalise('s = f"{a} and {b!r}"\n').symbols == normalise("s = 'text'\n").symbols


# --- the inverted index ------------------------------------------------------------------------

def test_inverted_index_equals_the_pairwise_comparison():
    rng = np.random.default_rng(7)
    pool = rng.integers(0, 2**63, size=300, dtype=np.uint64)
    prints = [Fingerprint(np.unique(rng.choice(pool, size=int(rng.integers(5, 60)), replace=False)), 100)
              for _ in range(40)]
    fast = {(p.a, p.b): (p.score, p.shared) for p in scored_pairs(prints, threshold=0.3, min_tokens=1,
                                                                   common_share=1.0)}
    slow = {}
    for i, j in itertools.combinations(range(len(prints)), 2):
        shared = len(np.intersect1d(prints[i].hashes, prints[j].hashes))
        score = shared / min(len(prints[i].hashes), len(prints[j].hashes))
        if score >= 0.3:
            slow[(i, j)] = (score, shared)
    assert fast.keys() == slow.keys() and fast
    assert all(abs(fast[k][0] - slow[k][0]) < 1e-12 and fast[k][1] == slow[k][1] for k in slow)


def test_code_held_by_most_of_a_large_class_is_common():
    common = np.arange(1, 41, dtype=np.uint64)
    prints = [Fingerprint(np.concatenate([common, np.arange(1000 * (i + 1), 1000 * (i + 1) + 40, dtype=np.uint64)]),
                          100) for i in range(30)]
    assert len(scored_pairs(prints, threshold=0.3, min_tokens=1, common_share=1.0)) == 435
    assert scored_pairs(prints, threshold=0.3, min_tokens=1, common_share=0.5) == []  # held by 30 > 20 and > 15


def test_submissions_too_small_are_never_paired():
    same = np.arange(10, dtype=np.uint64)
    assert scored_pairs([Fingerprint(same, 30), Fingerprint(same, 30)], threshold=0.5, min_tokens=50,
                        common_share=1.0) == []
    assert len(scored_pairs([Fingerprint(same, 60), Fingerprint(same, 60)], threshold=0.5, min_tokens=50,
                            common_share=1.0)) == 1


# --- reading submissions as batch does -----------------------------------------------------------

def test_zips_nested_folders_and_notebooks_are_read_and_nothing_runs(bundled, tmp_path):
    spec = bundled.get("iou")
    solution = _styles("iou")[0]
    canary = tmp_path / "ran.txt"
    trap = f"open({str(canary)!r}, 'w').write('imported')\n"
    root = tmp_path / "root"
    (root / "folder" / "nested").mkdir(parents=True)
    (root / "folder" / "nested" / "iou.py").write_text(trap + solution)
    with zipfile.ZipFile(root / "zipped.zip", "w") as archive:
        archive.writestr("export/iou.py", rename_identifiers(solution, {"box_area", "box_iou", "nms"}))
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# IoU"),
        nbformat.v4.new_code_cell("%matplotlib inline\n" + relayout(solution)),
        nbformat.v4.new_code_cell(f"open({str(canary)!r}, 'w')", metadata={"tags": ["skip-grading"]})])
    (root / "notebook").mkdir()
    nbformat.write(notebook, root / "notebook" / "iou.ipynb")
    # a homework notebook of another student holding every function, under a general name
    (root / "combined").mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(solution)]),
                   root / "combined" / "homework.ipynb")
    (root / "unsafe.zip").write_bytes(b"not a zip")
    out = tmp_path / "out"
    result = run_similarity(root, out, bundled, only=("iou",), jobs=1)
    pairs = {(p.submission_a, p.submission_b) for p in result.pairs}
    assert pairs == {(a, b) for a in ("combined", "folder", "notebook", "zipped")
                     for b in ("combined", "folder", "notebook", "zipped") if a < b}
    assert not canary.exists()
    assert submission_code(root / "notebook", spec) is not None
    assert "open(" not in submission_code(root / "notebook", spec)  # the skip-grading cell is left out
    assert submission_code(root / "combined", bundled.get("lstm"), tuple(bundled.get("lstm").functions)) is None


def test_cli_writes_the_ranked_csv_and_the_pages(synthetic_class, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["similarity", str(synthetic_class), "--out", str(out), "--only", "iou", "--only", "lstm",
                 "--jobs", "2", "--course", str(ROOT)]) == 0
    lines = (out / "similarity.csv").read_text().splitlines()
    assert lines[0] == "assignment,submission_a,submission_b,score"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 2 * len(EXPECTED) and {r[0] for r in rows} == {"iou", "lstm"}
    scores = [float(r[3]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    index = (out / "similarity.html").read_text()
    assert "similarity/iou-001.html" in index and "similarity/lstm-007.html" in index
    assert len(list((out / "similarity").glob("*.html"))) == 2 * len(EXPECTED)
    assert "similarity.html" in capsys.readouterr().out


def test_code_and_names_are_escaped_in_the_pages(bundled, tmp_path):
    solution = _styles("iou")[0]
    hostile = solution + "\nBANNER = '</pre><script>alert(1)</script>\\x1b[31m'\n"
    root = tmp_path / "root"
    for name in ("a<b>", "c"):
        (root / name).mkdir(parents=True)
        (root / name / "iou.py").write_text(hostile)
    run_similarity(root, tmp_path / "out", bundled, only=("iou",), jobs=1)
    page = (tmp_path / "out" / "similarity" / "iou-001.html").read_text()
    assert "<script>" not in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert "<b>" not in (tmp_path / "out" / "similarity.html").read_text()


def test_dashboard_links_to_the_similarity_report_only_when_there_is_one(tmp_path):
    from sample_results import mixed_submission

    from grader.report.dashboard import write_dashboard

    results = [mixed_submission("alice")]
    assert "similarity-link" not in write_dashboard(results, tmp_path).read_text()
    (tmp_path / "similarity.html").write_text("<!doctype html>")
    assert 'href="similarity.html"' in write_dashboard(results, tmp_path).read_text()


def test_forked_workers_give_the_same_result(bundled, tmp_path):
    root = tmp_path / "root"
    styles = _styles("iou")
    for i in range(20):  # enough entries, and pairs, for the work to be forked
        (root / f"s{i:02d}").mkdir(parents=True)
        (root / f"s{i:02d}" / "iou.py").write_text(relayout(styles[i % 3], i))
    here = run_similarity(root, tmp_path / "one", bundled, only=("iou",), jobs=1)
    forked = run_similarity(root, tmp_path / "two", bundled, only=("iou",), jobs=2)
    assert here.pairs == forked.pairs and len(here.pairs) == 21 + 21 + 15  # 7, 7 and 6 of each style
    assert (tmp_path / "one" / "similarity.csv").read_text() == (tmp_path / "two" / "similarity.csv").read_text()
    pages = sorted(p.name for p in (tmp_path / "two" / "similarity").iterdir())
    assert len(pages) == 50 and pages == sorted(p.name for p in (tmp_path / "one" / "similarity").iterdir())


def test_a_gradescope_export_is_read_with_the_students_names(bundled, tmp_path):
    root = tmp_path / "export"
    solution = _styles("lstm")[1]
    meta = {}
    for sid, name in (("1001", "Ada Lovelace"), ("1002", "Alan Turing")):
        folder = root / f"submission_{sid}"
        folder.mkdir(parents=True)
        (folder / "lstm.py").write_text(relayout(solution, int(sid)))
        meta[f"submission_{sid}"] = {":submitters": [{":name": name, ":email": f"{sid}@example.edu"}]}
    import yaml

    (root / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    result = run_similarity(root, tmp_path / "out", bundled, only=("lstm",), jobs=1)
    assert [(p.submission_a, p.submission_b) for p in result.pairs] == [("submission_1001", "submission_1002")]
    index = (tmp_path / "out" / "similarity.html").read_text()
    assert "Ada Lovelace" in index and "Alan Turing" in index
