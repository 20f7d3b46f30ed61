"""A notebook made gradable: its extracted module written to a private folder, and the
translation of what grading says about that module back to the notebook's cells."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from grader.notebooks.extraction import DEFAULT_SKIP_TAG, CellLine, Extraction, extract
from grader.notebooks.reading import DEFAULT_MAX_MB, NotebookError, read_notebook
from grader.results import AssignmentResult
from grader.untrusted import clean_name, clean_text


@dataclass(frozen=True)
class NotebookSettings:
    """How notebooks are read (keyword-only; ``[notebooks]`` in course.toml).

    | setting   | meaning                                                   | default          |
    |-----------|-----------------------------------------------------------|------------------|
    | files     | notebook file name -> assignment ids it holds              | {} (see below)   |
    | skip_tag  | cells with this tag are left out of grading                | ``skip-grading`` |
    | max_mb    | a larger notebook is a graded ``error``                    | 5                |

    Whatever ``files`` says, ``<id>.ipynb`` holds assignment ``<id>``, and a submission's one
    other notebook (``submission.ipynb``, ``homework.ipynb``) holds every assignment whose
    functions it defines.
    """

    files: tuple[tuple[str, tuple[str, ...]], ...] = ()
    skip_tag: str = DEFAULT_SKIP_TAG
    max_mb: float = DEFAULT_MAX_MB


def describe(where: CellLine) -> str:
    first = f" (`{where.first_line}`)" if where.first_line else ""
    return f"cell {where.cell}{first}, line {where.line}"


@dataclass(frozen=True)
class PreparedNotebook:
    notebook: Path
    module: Path  # the generated <module>.py, in a folder of its own
    extraction: Extraction

    @property
    def notes(self) -> tuple[str, ...]:
        name = clean_name(self.notebook.name)
        return tuple(f"{name}: {note}" for note in self.extraction.notes)

    def translate(self, text: str) -> str:
        """``text`` with the generated module's file and lines named as the notebook's cells."""
        if not text:
            return text
        module = re.escape(str(self.module))
        name = clean_name(self.notebook.name)

        def frame(match: re.Match[str]) -> str:
            where = self.extraction.where(int(match.group(1)))
            return f"{name}, {describe(where)}" if where else f"{name}, line {match.group(1)}"

        text = re.sub(r'File "' + module + r'", line (\d+)', lambda m: "File " + frame(m), text)
        text = re.sub(re.escape(self.module.name) + r"(?:\"|'|\)|,)? *,? *line (\d+)", frame, text)
        text = text.replace(str(self.module), name).replace(str(self.module.parent), "<notebook>")
        return re.sub(r"\b" + re.escape(self.module.name) + r"\b", name, text)

    def cleanup(self) -> None:
        shutil.rmtree(self.module.parent, ignore_errors=True)


def prepare_notebook(path: str | Path, module_file: str, settings: NotebookSettings | None = None) -> PreparedNotebook:
    """Read, extract and compile-check the notebook; write the module as ``module_file``.

    Raises NotebookError for an unreadable notebook and for code that does not parse (the
    message names the cell and the line in it). Nothing of the notebook is run here.
    """
    settings = settings or NotebookSettings()
    path = Path(path)
    extraction = extract(read_notebook(path, max_mb=settings.max_mb), skip_tag=settings.skip_tag)
    name = clean_name(path.name)
    try:
        compile(extraction.code, module_file, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = extraction.where(exc.lineno or 0)
        place = describe(where) if where else f"line {exc.lineno}"
        raise NotebookError(f"{name}: {type(exc).__name__} in {place}: {clean_text(exc.msg, limit=200)}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise NotebookError(f"{name}: its code cannot be compiled ({type(exc).__name__})") from exc
    folder = Path(tempfile.mkdtemp(prefix="grader-notebook-"))
    module = folder / module_file
    module.write_text(extraction.code, encoding="utf-8")
    return PreparedNotebook(path, module, extraction)


def _failed_at(prepared: PreparedNotebook, traceback: str) -> str:
    """Where the last of the notebook's frames in ``traceback`` is, as cells: `` (cell 3 (`x = 1/0`), line 2)``."""
    lines = re.findall(r'File "' + re.escape(str(prepared.module)) + r'", line (\d+)', traceback)
    where = prepared.extraction.where(int(lines[-1])) if lines else None
    return f" (in {describe(where)})" if where else ""


def _defined_at(prepared: PreparedNotebook, message: str) -> str:
    """Where the functions a violation's message names are defined: `` [linear_backward: cell 4 (...)]``."""
    definitions = prepared.extraction.definitions()
    named = [name for name in dict.fromkeys(re.findall(r"\b\w+\b", message)) if name in definitions]
    if not named:
        return ""
    places = "; ".join(f"{name}: cell {definitions[name].cell} (`{definitions[name].first_line}`)"
                       for name in named[:3])
    return f" [{places}]"


def translate_result(prepared: PreparedNotebook, result: AssignmentResult) -> AssignmentResult:
    """The result of grading the generated module, as the notebook's: its file, its cells.

    An import that raised says in which cell and line; a violation says where the functions
    it names are defined."""
    t = prepared.translate
    message = result.message
    tests = result.tests
    if result.status == "error" and not result.grader_error:
        raw_tracebacks = [test.traceback for test in tests if test.traceback]
        failed_at = _failed_at(prepared, raw_tracebacks[0]) if raw_tracebacks else ""
        if failed_at:
            message += failed_at
            tests = tuple(replace(test, message=test.message + failed_at) if test.message == result.message
                          else test for test in tests)
        if any(test.status == "violation" for test in tests):
            message += _defined_at(prepared, message)
    tests = tuple(replace(test, message=test.message + _defined_at(prepared, test.message))
                  if test.status == "violation" else test for test in tests)
    tests = tuple(replace(test, message=t(test.message), counterexample=t(test.counterexample),
                          traceback=t(test.traceback), hint=t(test.hint), stdout=t(test.stdout))
                  for test in tests)
    return replace(result, tests=tests, message=t(message), file=str(prepared.notebook),
                   notes=tuple(result.notes) + prepared.notes)


def grade_notebook(notebook: Path, module_file: str, settings: NotebookSettings | None,
                   grade_module: Callable[[Path], AssignmentResult],
                   failed: Callable[[str], AssignmentResult]) -> AssignmentResult:
    """Grade the notebook's code as ``module_file`` with ``grade_module``; a notebook that
    cannot be read or parsed becomes ``failed(message)``."""
    try:
        prepared = prepare_notebook(notebook, module_file, settings)
    except NotebookError as exc:
        return failed(clean_text(exc, limit=2000))
    try:
        return translate_result(prepared, grade_module(prepared.module))
    finally:
        prepared.cleanup()
