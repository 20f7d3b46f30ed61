"""course.toml's [notebooks] table: defaults, precise errors, and what grading takes from it."""

from __future__ import annotations

import sys

import pytest
from platform_samples import ROOT, copy_course

from grader.config import load_config, parse_config, to_toml
from grader.course import load_course
from grader.errors import CourseError
from grader.notebooks import DEFAULT_MAX_MB, DEFAULT_SKIP_TAG, NotebookSettings

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_bundled_course_toml_documents_the_defaults():
    config = load_config(ROOT / "course.toml")
    assert config.notebooks == NotebookSettings(files=(), skip_tag="skip-grading", max_mb=5.0)
    assert (DEFAULT_SKIP_TAG, DEFAULT_MAX_MB) == ("skip-grading", 5.0)
    text = (ROOT / "course.toml").read_text()
    assert "[notebooks]" in text and "# [notebooks.files]" in text


def test_a_course_without_the_table_gets_the_defaults(tmp_path):
    (tmp_path / "course.toml").write_text("[course]\nseed = 1\n")
    assert load_config(tmp_path / "course.toml").notebooks == NotebookSettings()


def test_the_table_sets_each_key(tmp_path):
    (tmp_path / "course.toml").write_text(
        '[notebooks]\nskip_tag = "no-grade"\nmax_mb = 0.5\n\n[notebooks.files]\n'
        '"homework1.ipynb" = ["backprop", "iou"]\n"hw2.ipynb" = ["lstm"]\n')
    assert load_config(tmp_path / "course.toml").notebooks == NotebookSettings(
        files=(("homework1.ipynb", ("backprop", "iou")), ("hw2.ipynb", ("lstm",))), skip_tag="no-grade", max_mb=0.5)


@pytest.mark.parametrize("text, message", [
    ("notebooks = 3\n", "course.toml: [notebooks] expected a table, got 3"),
    ("[notebooks]\nskip = 1\n",
     "course.toml: [notebooks] skip: unknown key (expected one of: files, max_mb, skip_tag)"),
    ("[notebooks]\nmax_mb = 0\n", "course.toml: [notebooks] max_mb: expected a number of megabytes > 0, got 0"),
    ('[notebooks]\nmax_mb = "5"\n', 'course.toml: [notebooks] max_mb: expected a number of megabytes > 0, got "5"'),
    ("[notebooks]\nmax_mb = true\n", "course.toml: [notebooks] max_mb: expected a number of megabytes > 0, got true"),
    ('[notebooks]\nskip_tag = ""\n', 'course.toml: [notebooks] skip_tag: expected a cell tag (a non-empty string '
                                     'without surrounding spaces), like "skip-grading", got ""'),
    ("[notebooks]\nskip_tag = 7\n", 'course.toml: [notebooks] skip_tag: expected a cell tag (a non-empty string '
                                    'without surrounding spaces), like "skip-grading", got 7'),
    ('[notebooks]\nfiles = "hw.ipynb"\n',
     'course.toml: [notebooks] files: expected a table of notebook names to assignment ids, like "homework.ipynb" = '
     '["backprop", "iou"], got "hw.ipynb"'),
    ('[notebooks.files]\n"hw.py" = ["iou"]\n', 'course.toml: [notebooks] files."hw.py": expected a notebook file name '
                                               'ending in .ipynb (no folder: it is looked for where the assignment '
                                               'files are)'),
    ('[notebooks.files]\n"a/hw.ipynb" = ["iou"]\n', 'course.toml: [notebooks] files."a/hw.ipynb": expected a notebook '
                                                    'file name ending in .ipynb'),
    ('[notebooks.files]\n"hw.ipynb" = []\n', 'course.toml: [notebooks] files."hw.ipynb": expected a non-empty list '
                                             'of distinct assignment ids, like ["backprop", "iou"], got []'),
    ('[notebooks.files]\n"hw.ipynb" = "iou"\n', 'course.toml: [notebooks] files."hw.ipynb": expected a non-empty '
                                                'list of distinct assignment ids'),
    ('[notebooks.files]\n"hw.ipynb" = ["iou", "iou"]\n', 'course.toml: [notebooks] files."hw.ipynb": expected a '
                                                         'non-empty list of distinct assignment ids'),
    ('[notebooks.files]\n"a.ipynb" = ["iou"]\n"b.ipynb" = ["lstm", "iou"]\n',
     'course.toml: [notebooks] files."b.ipynb": assignment "iou" is already in "a.ipynb"'),
])
def test_errors_name_the_file_the_key_and_what_was_expected(tmp_path, text, message):
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseError) as raised:
        load_config(tmp_path / "course.toml")
    assert str(raised.value).startswith(str(tmp_path / "course.toml") + message[len("course.toml"):])


def test_a_notebook_mapped_to_an_unknown_assignment_stops_loading_the_course(tmp_path):
    copy_course(tmp_path, ("iou",), '[notebooks.files]\n"hw.ipynb" = ["iou", "ioo"]\n')
    with pytest.raises(CourseError, match=r'\[notebooks.files\] "hw.ipynb": no such assignment "ioo" \(known: iou\)'):
        load_course(tmp_path)


def test_the_course_loads_its_settings_and_the_release_copy_keeps_them(tmp_path):
    copy_course(tmp_path, ("iou", "lstm"), '[notebooks]\nskip_tag = "no-grade"\nmax_mb = 2\n\n'
                                           '[notebooks.files]\n"hw.ipynb" = ["iou", "lstm"]\n')
    course = load_course(tmp_path)
    assert course.config.notebooks == NotebookSettings(files=(("hw.ipynb", ("iou", "lstm")),), skip_tag="no-grade",
                                                       max_mb=2.0)
    again = parse_config(tomllib.loads(to_toml(course.config)))
    assert again.notebooks == course.config.notebooks


def test_the_defaults_are_not_written_out():
    assert "[notebooks]" not in to_toml(parse_config({}))
