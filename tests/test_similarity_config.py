"""course.toml's [similarity] table: defaults, precise errors, and the settings a comparison uses."""

from __future__ import annotations

import numpy as np
import pytest
from platform_samples import ROOT

from grader.config import SimilarityConfig, load_config
from grader.errors import CourseError
from grader.similarity.fingerprints import Fingerprint
from grader.similarity.index import scored_pairs


def test_bundled_course_toml_documents_the_defaults():
    assert load_config(ROOT / "course.toml").similarity == SimilarityConfig(threshold=0.4, min_tokens=50,
                                                                            common_share=0.2)


def test_a_course_without_the_table_gets_the_defaults(tmp_path):
    (tmp_path / "course.toml").write_text("[course]\nseed = 1\n")
    assert load_config(tmp_path / "course.toml").similarity == SimilarityConfig()


def test_the_table_sets_each_key(tmp_path):
    (tmp_path / "course.toml").write_text("[similarity]\nthreshold = 0.7\nmin_tokens = 80\ncommon_share = 0.5\n")
    assert load_config(tmp_path / "course.toml").similarity == SimilarityConfig(0.7, 80, 0.5)


@pytest.mark.parametrize("text, message", [
    ("[similarity]\nthreshold = 1.5\n", "course.toml: [similarity] threshold: expected a number in [0, 1], got 1.5"),
    ('[similarity]\nthreshold = "high"\n',
     'course.toml: [similarity] threshold: expected a number in [0, 1], got "high"'),
    ("[similarity]\nmin_tokens = 0\n", "course.toml: [similarity] min_tokens: expected an integer >= 1, got 0"),
    ("[similarity]\nmin_tokens = 2.5\n", "course.toml: [similarity] min_tokens: expected an integer >= 1, got 2.5"),
    ("[similarity]\ncommon_share = -0.1\n",
     "course.toml: [similarity] common_share: expected a number in [0, 1], got -0.1"),
    ("[similarity]\nthreshhold = 0.5\n",
     "course.toml: [similarity] threshhold: unknown key (expected one of: common_share, min_tokens, threshold)"),
    ("similarity = 0.5\n", "course.toml: [similarity] expected a table, got 0.5"),
])
def test_errors_name_the_file_the_key_and_the_expectation(tmp_path, text, message):
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises(CourseError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))


def test_the_threshold_decides_what_is_flagged(tmp_path):
    a = Fingerprint(np.arange(100, dtype=np.uint64), 100)
    b = Fingerprint(np.arange(40, 140, dtype=np.uint64), 100)  # 60 of 100 in common
    assert scored_pairs([a, b], threshold=0.6, min_tokens=50, common_share=1.0)[0].score == pytest.approx(0.6)
    assert scored_pairs([a, b], threshold=0.61, min_tokens=50, common_share=1.0) == []
