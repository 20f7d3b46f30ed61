"""The similarity outputs: ``similarity.csv``, ``similarity.html`` and one page per pair shown.

Layout under the output folder::

    similarity.csv                       every flagged pair, ranked: assignment,submission_a,submission_b,score
    similarity.html                      per assignment, the top pairs with their score
    similarity/<assignment>-<rank>.html  one pair side by side, matching regions highlighted

Every page is one file (CSS inline, no script, no network). Code and names shown come from
submissions, so they pass through :mod:`grader.untrusted` and jinja's autoescape.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

from grader.atomic import write_atomically
from grader.report.html import environment
from grader.similarity.code import submission_code
from grader.similarity.compare import Pair, SimilarityResult
from grader.similarity.fingerprints import Boilerplate, boilerplate_of
from grader.similarity.regions import match_regions
from grader.similarity.workers import SHARED, map_forked
from grader.spec.model import AssignmentSpec
from grader.untrusted import clean_name

__all__ = ["CSV_COLUMNS", "PAIRS_SHOWN", "pair_file", "pair_page", "write_similarity_csv", "write_similarity_report"]

CSV_COLUMNS = ("assignment", "submission_a", "submission_b", "score")
PAIRS_SHOWN = 50  # per assignment, in the HTML; the CSV has them all
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell


def _cell(value: str) -> str:
    value = clean_name(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_similarity_csv(result: SimilarityResult, path: Path) -> Path:
    """One row per flagged pair, best score first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in result.pairs:
        writer.writerow([p.assignment, _cell(p.submission_a), _cell(p.submission_b), f"{p.score:.4f}"])
    return write_atomically(path, buffer.getvalue())


def pair_file(pair_rank: int, assignment: str) -> str:
    """Where the page of an assignment's ``pair_rank``-th pair (from 1) goes, relative to the output folder."""
    return f"similarity/{assignment}-{pair_rank:03d}.html"


def pair_page(pair: Pair, rank: int, text_a: str, text_b: str, boilerplate: Boilerplate,
              *, title: str = "", index_link: str = "../similarity.html") -> str:
    """The side-by-side page of one pair."""
    view = match_regions(text_a, text_b, boilerplate)
    return environment().get_template("similarity_pair.html.j2").render(
        pair=pair, rank=rank, view=view, title=title or pair.assignment,
        name_a=clean_name(pair.submission_a), name_b=clean_name(pair.submission_b), index_link=index_link,
    )


def _write_pair_page(job: tuple[str, str, str, str, Pair, int, str]) -> None:
    out, path_a, path_b, title, pair, rank, link = job
    student_file, functions = SHARED["student_files"][pair.assignment]
    spec = SimpleNamespace(student_file=student_file)
    text_a = submission_code(path_a, spec, functions) or ""
    text_b = submission_code(path_b, spec, functions) or ""
    boilerplate = SHARED["boilerplates"][pair.assignment]
    write_atomically(Path(out) / link, pair_page(pair, rank, text_a, text_b, boilerplate, title=title))


def write_similarity_report(result: SimilarityResult, out_dir: str | Path, specs: Sequence[AssignmentSpec],
                            *, names: Mapping[str, str] | None = None, jobs: int = 1) -> Path:
    """Write the CSV, the index page and the pair pages (on ``jobs`` processes) under ``out_dir``;
    return the index's path. The entries' folders (``result.paths``) must still be there: the
    pages show their code."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_similarity_csv(result, out / "similarity.csv")
    for stale in (out / "similarity").glob("*.html"):  # pages of an earlier run's pairs
        stale.unlink()
    names = names or {}
    sections, pages = [], []
    for spec in specs:
        pairs = result.for_assignment(spec.id)
        shown = []
        for rank, pair in enumerate(pairs[:PAIRS_SHOWN], 1):
            link = pair_file(rank, spec.id)
            pages.append((str(out), result.paths[pair.submission_a], result.paths[pair.submission_b], spec.title,
                          pair, rank, link))
            shown.append({"rank": rank, "pair": pair, "link": link,
                          "a": clean_name(pair.submission_a), "b": clean_name(pair.submission_b),
                          "name_a": clean_name(names.get(pair.submission_a, "")),
                          "name_b": clean_name(names.get(pair.submission_b, ""))})
        sections.append({"spec": spec, "pairs": shown, "flagged": len(pairs),
                         "compared": result.compared.get(spec.id, 0)})
    with_pairs = {p[4].assignment for p in pages}
    shared = {"student_files": {s.id: (s.student_file, tuple(s.functions)) for s in specs},
              "boilerplates": {s.id: boilerplate_of(s.public_dir, s.student_file) for s in specs if s.id in with_pairs}}
    for _ in map_forked(_write_pair_page, pages, jobs, shared):
        pass
    html = environment().get_template("similarity.html.j2").render(
        result=result, sections=sections, settings=result.settings, pairs_shown=PAIRS_SHOWN)
    return write_atomically(out / "similarity.html", html)
