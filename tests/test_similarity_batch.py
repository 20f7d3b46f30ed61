"""``grader batch --similarity``: the similarity report beside the grades, linked from the dashboard."""

from __future__ import annotations

import shutil

from paths import FIXTURES, ROOT

from grader.cli import main


def test_batch_with_similarity_links_the_report_from_the_dashboard(tmp_path, capsys):
    root = tmp_path / "class"
    for name in ("alice", "bob"):
        (root / name).mkdir(parents=True)
        shutil.copy(FIXTURES / "gan_loss" / "correct_manual_loops.py", root / name / "gan_loss.py")
    out = tmp_path / "out"
    assert main(["batch", str(root), "--out", str(out), "--only", "gan_loss", "--similarity", "--jobs", "1",
                 "--course", str(ROOT)]) == 0
    assert (out / "similarity.csv").read_text().splitlines() == ["assignment,submission_a,submission_b,score",
                                                                 "gan_loss,alice,bob,1.0000"]
    assert 'href="similarity.html"' in (out / "index.html").read_text()
    assert (out / "similarity" / "gan_loss-001.html").is_file()
    assert "similarity report:" in capsys.readouterr().out


def test_batch_without_similarity_writes_no_report_and_no_link(tmp_path):
    root = tmp_path / "class"
    (root / "alice").mkdir(parents=True)
    shutil.copy(FIXTURES / "gan_loss" / "correct_manual_loops.py", root / "alice" / "gan_loss.py")
    out = tmp_path / "out"
    assert main(["batch", str(root), "--out", str(out), "--only", "gan_loss", "--jobs", "1",
                 "--course", str(ROOT)]) == 0
    assert not (out / "similarity.html").exists()
    assert "similarity-link" not in (out / "index.html").read_text()
