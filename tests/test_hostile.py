"""Hostile submissions: whatever a student's file does, grading finishes, the other
assignment keeps its marks, nothing is written outside the scratch folder, no process
survives, no secret leaks, and the attack scores nothing.

Each file in ``tests/hostile/`` is a hostile ``iou.py``; the submission also holds a correct
``conv_shapes.py`` (the reference solution). Placeholders in the files (``__CANARY__``,
``__REPO__``, ``__PORT__``, ``__GRADER_PID__``) are filled in per test.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from grader.grading import GradeOptions, grade_submission
from grader.sandbox.identity import BASE_UID, is_root

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = ROOT / "tests" / "hostile"
SECRET_NAME = "GRADER_HOSTILE_TEST_SECRET"
SECRET = "s3cr3t-5d41402abc4b2a76b9719d911017c592"
# Set at collection, before any worker's fork server starts, so workers inherit it.
os.environ.setdefault(SECRET_NAME, SECRET)
LEAK_MARKERS = (SECRET, "STOLE", "CONNECTED", "WROTE", "MEM ")
OPTIONS = GradeOptions(only=("conv_shapes", "iou"), test_timeout_s=1.5, import_timeout_s=4.0,
                       submission_timeout_s=40.0, max_examples=2)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker sandbox needs fork (POSIX)")


class Listener:
    """A TCP and a UDP socket on one localhost port; records whatever reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.tcp.settimeout(0.2)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
                self.received.append(b"tcp:" + conn.recv(100))
                conn.close()
            except OSError:
                pass
            try:
                self.received.append(b"udp:" + self.udp.recv(100))
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="module")
def listener():
    listen = Listener()
    yield listen
    listen.close()


def _parent_and_cmdline(pid: str) -> tuple[str, str]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return "0", ""
    return stat.rsplit(")", 1)[1].split()[1], cmdline


def _is_ours_or_orphaned(pid: str) -> bool:
    """Descends from this test process, or from no live fork server (escaped its worker).

    Other people's graders may run workers on this machine at the same time: those hang
    under their own fork server and are none of this test's business.
    """
    me = str(os.getpid())
    seen = set()
    while pid not in ("0", "1") and pid not in seen:
        seen.add(pid)
        parent, cmdline = _parent_and_cmdline(pid)
        if parent == me:
            return True
        is_server = "multiprocessing.forkserver" in cmdline
        if is_server and "multiprocessing.forkserver" not in _parent_and_cmdline(parent)[1]:
            return False  # the fork server of another grader process, and a live worker under it
        pid = parent
    return True


def _sandbox_processes() -> list[str]:
    """Live processes left by a worker: a worker uid or a name a hostile file set, ours or orphaned."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "0").split()[0])
        name = fields.get("Name", "").strip()
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if (uid >= BASE_UID or name.startswith("hostile")) and _is_ours_or_orphaned(pid):
            found.append(f"{pid} {name} uid={uid}")
    return found


def _wait_no_sandbox_processes(timeout_s: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        left = _sandbox_processes()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _attacks() -> list[Path]:
    return sorted(HOSTILE.glob("*.py"))


def test_the_corpus_is_large_enough() -> None:
    assert len(_attacks()) >= 24


@pytest.mark.parametrize("attack", _attacks(), ids=lambda p: p.stem)
def test_hostile_submission_is_contained(attack: Path, course, tmp_path: Path, listener: Listener) -> None:
    canary = Path(tempfile.mkdtemp(prefix="hostile-canary-", dir="/tmp"))
    canary.chmod(0o777)  # writable by anyone: only the sandbox may stop the writes
    try:
        submission = tmp_path / "submission"
        submission.mkdir()
        source = (attack.read_text().replace("__CANARY__", str(canary)).replace("__REPO__", str(ROOT))
                  .replace("__PORT__", str(listener.port)).replace("__GRADER_PID__", str(os.getpid())))
        (submission / "iou.py").write_text(source)
        shutil.copy(ROOT / "reference" / "conv_shapes" / "conv_shapes.py", submission / "conv_shapes.py")
        before_sub = sorted(p.name for p in submission.iterdir())
        watched = [Path("/autograder/results/results.json"), ROOT / "results.json", Path.cwd() / "results.json",
                   Path("/tmp/hostile-background-canary")]
        existed = {p: p.exists() for p in watched}
        received = len(listener.received)

        started = time.monotonic()
        result = grade_submission(submission, course, OPTIONS)
        assert time.monotonic() - started < OPTIONS.submission_timeout_s + 30

        by_id = {a.id: a for a in result.assignments}
        conv, iou = by_id["conv_shapes"], by_id["iou"]
        lost = [(t.name, t.status, t.message) for t in conv.tests if t.status != "passed"]
        assert conv.score == conv.max_score, lost
        assert iou.score == 0, [(t.name, t.status) for t in iou.tests if t.status == "passed"]

        left = _wait_no_sandbox_processes()
        assert not left, f"processes survived the worker: {left}"
        time.sleep(0.3)  # a surviving background writer would have written by now
        assert sorted(os.listdir(canary)) == []
        assert sorted(p.name for p in submission.iterdir()) == before_sub
        for path, was_there in existed.items():
            assert path.exists() == was_there, f"{path} appeared"
        assert listener.received[received:] == []

        dump = repr(dataclasses.asdict(result))
        for marker in LEAK_MARKERS:
            assert marker not in dump, f"{marker!r} reached the results"
    finally:
        shutil.rmtree(canary, ignore_errors=True)


@pytest.mark.skipif(not is_root(), reason="separate user ids need the grader to run as root")
def test_worker_processes_run_as_their_own_unprivileged_user(course, tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "iou.py").write_text(
        "import os\ndef box_area(boxes):\n"
        "    raise ValueError(f'uid={os.getuid()} gid={os.getgid()} pid={os.getpid()}')\n")
    result = grade_submission(submission, course, GradeOptions(only=("iou",), max_examples=1, test_timeout_s=5))
    messages = " ".join(t.message for t in result.assignments[0].tests)
    uid = int(messages.split("uid=")[1].split()[0])
    assert uid >= BASE_UID
    assert "pid=1" in messages  # PID 1 of its own PID namespace


def test_worker_environment_is_scrubbed_yet_usable(course, tmp_path: Path) -> None:
    """The secret is gone, and what ordinary code needs is there: HOME and TMPDIR (the scratch
    folder), PATH, and an off-screen matplotlib backend (clearing posix.environ once emptied
    os.environ too, and a HOME-less worker broke tempfile, Path.home() and matplotlib)."""
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "iou.py").write_text(
        "import os, tempfile\nfrom pathlib import Path\n"
        "def box_area(boxes):\n"
        "    fd, name = tempfile.mkstemp()\n"
        "    raise ValueError(f'home={os.environ.get(\"HOME\")} tmp={os.environ.get(\"TMPDIR\")} '\n"
        f"                     f'cwd={{os.getcwd()}} path={{bool(os.environ.get(\"PATH\"))}} '\n"
        f"                     f'mpl={{os.environ.get(\"MPLBACKEND\")}} secret={{\"{SECRET_NAME}\" in os.environ}} '\n"
        "                     f'tmpfile_in_home={Path(name).parent == Path.home()}')\n")
    result = grade_submission(submission, course, GradeOptions(only=("iou",), max_examples=1, test_timeout_s=5))
    message = next(t.message for t in result.assignments[0].tests if "home=" in t.message)
    fields = dict(part.split("=", 1) for part in message[message.index("home="):].split()[:7])
    assert fields["home"] == fields["tmp"] == fields["cwd"] != "None", message
    assert fields["path"] == "True" and fields["mpl"] == "Agg", message
    assert fields["secret"] == "False" and fields["tmpfile_in_home"] == "True", message


def test_a_file_that_plots_at_import_keeps_its_marks(course, tmp_path: Path) -> None:
    """Notebook exports plot at the top level: matplotlib must import, draw and save in a worker."""
    pytest.importorskip("matplotlib")
    submission = tmp_path / "submission"
    submission.mkdir()
    reference = (ROOT / "reference" / "conv_shapes" / "conv_shapes.py").read_text()
    future, _, body = reference.partition("from __future__ import annotations\n")
    (submission / "conv_shapes.py").write_text(
        future + "from __future__ import annotations\n"
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.savefig('curve.png')\n" + body)
    result = grade_submission(submission, course, GradeOptions(only=("conv_shapes",), max_examples=3))
    conv = result.assignments[0]
    assert conv.score == conv.max_score, [(t.name, t.status, t.message[:300]) for t in conv.tests
                                          if t.status != "passed"]
