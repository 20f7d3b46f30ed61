"""Device discipline without a GPU: the meta-device run, its verdicts and messages, the
wrong-device and CUDA-fault paths (the meta device standing in for a second device), and the
choices that keep CUDA contexts out of forks."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from paths import ROOT

from grader.checks.device import judge_meta_run, wrong_device_message
from grader.checks.student import AbortTest, CallLog, Student
from grader.sandbox import cuda
from grader.sandbox.meta import misplaced, run_on_meta, wrong_device_error
from grader.sandbox.process import Reply, Worker
from grader.sandbox.provenance import run_tracking_inputs

STUDENT = '''
import numpy as np
import torch

def good(x, W, b):
    return x @ W.T + b

def zeros_mixed(x, W, b):
    out = torch.zeros(x.shape[0], W.shape[0], dtype=x.dtype)
    return out + x @ W.T

def zeros_returned(x, W, b):
    db = torch.zeros(W.shape[0], dtype=b.dtype)
    db += b
    return x @ W.T, db

def moves_to_cpu(x, W, b):
    return (x @ W.T + b).cpu()

def numpy_round_trip(x, W, b):
    return torch.from_numpy(np.maximum(x.numpy(), 0))

def reads_item(x, W, b):
    return x - float(x.max())

def reads_tolist(x, W, b):
    return torch.tensor(x.tolist(), dtype=x.dtype, device=x.device)

def masked_sum(x, W, b):
    return x[x > 0].sum()

def python_scalar_tensor(x, W, b):
    return x.sum() + torch.tensor(2.0, dtype=x.dtype)

def buffer_written(x, W, b):
    out = torch.empty(x.shape, dtype=x.dtype)
    out[:] = x
    return out

def tolist_rebuilt(x, W, b):
    return torch.tensor(x.tolist(), dtype=x.dtype)

def item_rebuilt(x, W, b):
    return torch.tensor(float(x.sum()), dtype=x.dtype)

def item_then_mixed(x, W, b):
    scale = float(x.abs().max())
    return x / scale + torch.ones(x.shape, dtype=x.dtype)

def draws(x, generator):
    return torch.randn(x.shape, generator=generator, device=x.device)
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    folder = tmp_path_factory.mktemp("student")
    (folder / "student.py").write_text(STUDENT)
    spec = importlib.util.spec_from_file_location("_device_test_student", folder / "student.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, (str(folder), "/submissions/alice")


def _args():
    return [torch.randn(3, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64),
            torch.randn(2, dtype=torch.float64)]


def _report(student, name, args=None):
    module, paths = student
    return run_on_meta(getattr(module, name), args if args is not None else _args(), {}, paths, run_tracking_inputs)


@pytest.mark.parametrize("name", ["good", "reads_item", "reads_tolist", "masked_sum", "python_scalar_tensor"])
def test_correct_code_and_what_meta_cannot_run_give_no_verdict(student, name):
    report = _report(student, name)
    assert judge_meta_run(name, report) is None, report


@pytest.mark.parametrize("name, evidence, advice", [
    ("zeros_mixed", "mixes a CPU tensor", "device=x.device"),
    ("zeros_returned", "returned result[1] on cpu", "device=x.device"),
    ("moves_to_cpu", "with .cpu()", "drop the .cpu()"),
    ("numpy_round_trip", "converts a tensor to NumPy", "instead of NumPy"),
    ("buffer_written", "writes its inputs' data into a tensor made on the CPU", "device=x.device"),
    ("tolist_rebuilt", "returns result as a new CPU tensor", "device=x.device"),
    ("item_rebuilt", "returns result as a new CPU tensor", "device=x.device"),
    ("item_then_mixed", "mixes a tensor made on the CPU with its inputs' device", "device=x.device"),
])
def test_device_bugs_fail_naming_function_line_and_fix(student, name, evidence, advice):
    message = judge_meta_run(name, _report(student, name))
    assert message is not None
    assert message.startswith(name) and evidence in message and advice in message
    assert "torch.zeros(n, device=x.device, dtype=x.dtype)" in message or "drop" in message or "NumPy" in message
    assert "student.py line" in message  # the student's own line, under the submission's name
    assert "meta device" in message or "following which tensors come from them" in message


def test_the_line_and_the_creating_factory_are_both_named(student):
    message = judge_meta_run("zeros_mixed", _report(student, "zeros_mixed"))
    assert "`return out + x @ W.T`" in message
    assert "made by torch.zeros at student.py line 9" in message


def test_a_generator_argument_skips_the_check(student):
    module, paths = student
    report = run_on_meta(module.draws, [torch.zeros(2, 2), torch.Generator()], {}, paths, run_tracking_inputs)
    assert report["status"] == "skipped" and judge_meta_run("draws", report) is None


def test_inputs_are_not_touched_by_the_meta_run(student):
    args = _args()
    before = [a.clone() for a in args]
    _report(student, "zeros_returned", args)
    assert all(torch.equal(a, b) and a.device.type == "cpu" for a, b in zip(args, before))


def test_misplaced_names_every_result_off_the_expected_device():
    value = (torch.ones(2, device="meta"), [torch.ones(1), 3.0])
    assert misplaced(value, "meta") == [["result[1][0]", "cpu"]]
    assert misplaced(value, None) == [] and misplaced(torch.ones(1), "cpu") == []


def test_wrong_device_message_names_both_devices_and_the_function():
    error = wrong_device_error("box_iou", [["result", "cpu"]], "cuda:0")
    assert error["type"] == "WrongDevice"
    message = wrong_device_message(error["message"])
    assert "box_iou returned result on cpu, but its inputs are on cuda:0" in message
    assert "device=x.device" in message


class _Sink:
    """Stands for a worker: answers from a script and remembers what it was asked."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, str]] = []
        self.stopped = False

    def call(self, fn, args, kwargs, timeout_s, *, op="call"):
        self.calls.append((fn, op))
        return self.replies.pop(0)

    def stop(self):
        self.stopped = True


def _proxy(sink, meta_safe=("f",)):
    return Student(sink, ("f", "g"), CallLog(deadline=time.monotonic() + 30), meta_safe=meta_safe)


def test_a_meta_safe_function_is_checked_once_per_test():
    ok = Reply(kind="value", value={"status": "returned", "created": [], "misplaced": []})
    sink = _Sink(Reply(kind="value", value=1), ok, Reply(kind="value", value=2))
    proxy = _proxy(sink)
    assert proxy.f() == 1 and proxy.f() == 2
    assert sink.calls == [("f", "call"), ("f", "meta"), ("f", "call")]


def test_functions_not_meta_safe_are_never_run_on_meta():
    sink = _Sink(Reply(kind="value", value=1))
    assert _proxy(sink).g() == 1 and sink.calls == [("g", "call")]


def test_device_evidence_ends_the_test_as_failed():
    bad = Reply(kind="value", value={"status": "returned", "created": [], "misplaced": [["result", "cpu"]]})
    with pytest.raises(AbortTest) as caught:
        _proxy(_Sink(Reply(kind="value", value=1), bad)).f()
    assert caught.value.status == "failed" and "returned result on cpu" in caught.value.message


def test_a_result_on_the_wrong_device_fails_the_test():
    error = wrong_device_error("f", [["result", "cpu"]], "cuda:0")
    from grader.sandbox.process import StudentError

    reply = Reply(kind="raised", error=StudentError("WrongDevice", tuple(error["types"]), error["message"], ""))
    with pytest.raises(AbortTest) as caught:
        _proxy(_Sink(reply), meta_safe=()).f()
    assert caught.value.status == "failed" and "cpu" in caught.value.message and "cuda:0" in caught.value.message


def test_a_cuda_fault_costs_the_test_and_retires_the_worker():
    from grader.sandbox.process import StudentError

    reply = Reply(kind="raised", error=StudentError(
        "OutOfMemoryError", ("OutOfMemoryError", "RuntimeError"), "CUDA out of memory. Tried to allocate 2.00 GiB", ""))
    sink = _Sink(reply)
    with pytest.raises(AbortTest) as caught:
        _proxy(sink, meta_safe=()).f()
    assert caught.value.status == "error" and "fresh CUDA context" in caught.value.message
    assert sink.stopped


@pytest.mark.parametrize("types, message, expected", [
    (("RuntimeError",), "CUDA error: device-side assert triggered", True),
    (("AcceleratorError", "RuntimeError"), "illegal memory access", True),
    (("OutOfMemoryError",), "Tried to allocate", True),
    (("RuntimeError",), "mat1 and mat2 shapes cannot be multiplied", False),
    (("ValueError",), "unknown activation 'cuda'", False),
])
def test_cuda_faults_are_told_from_ordinary_errors(types, message, expected):
    assert cuda.is_fault(types, message) is expected


def test_exact_float32_turns_tf32_off():
    cuda.exact_float32()
    assert cuda.is_exact_float32(), cuda.tf32_state()


@pytest.mark.parametrize("text, expected", [("cpu", "cpu"), ("cuda", "cuda"), ("CUDA:1", "cuda:1")])
def test_device_names(text, expected):
    assert cuda.parse_device(text) == expected


@pytest.mark.parametrize("text", ["gpu", "cuda:x", "meta", "cuda:-1"])
def test_other_device_names_are_refused(text):
    with pytest.raises(ValueError):
        cuda.parse_device(text)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_grading_on_a_missing_gpu_stops_loudly():
    from grader.errors import SandboxError

    with pytest.raises(SandboxError, match="no CUDA device"):
        cuda.require("cuda")


def test_workers_come_from_a_fork_server_whose_preload_leaves_cuda_alone():
    from grader.sandbox import fork_server

    assert fork_server.fork_context().get_start_method() == "forkserver"
    preload = "; ".join(f"import {m}" for m in fork_server.PRELOAD)
    code = f"{preload}; import torch; print(torch.cuda.is_initialized())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_no_assignment_pool_fork_once_this_process_holds_a_cuda_context(monkeypatch):
    from grader.assignment_pool import usable_jobs
    from grader.sandbox.process import fork_context

    fork_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    assert usable_jobs(4, 8) == 4
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    assert usable_jobs(4, 8) == 1


def test_a_real_worker_runs_the_meta_check(tmp_path: Path):
    (tmp_path / "student.py").write_text(textwrap.dedent(STUDENT))
    worker = Worker(str(tmp_path / "student.py"), "student", import_timeout_s=60)
    assert worker.start().kind == "value"
    try:
        ok = worker.call("good", _args(), {}, 30, op="meta")
        bad = worker.call("zeros_mixed", _args(), {}, 30, op="meta")
        plain = worker.call("zeros_mixed", _args(), {}, 30)
    finally:
        worker.stop()
    assert judge_meta_run("good", ok.value) is None
    message = judge_meta_run("zeros_mixed", bad.value)
    assert message and "student.py line 10" in message and "grader-scratch" not in message
    assert plain.kind == "value" and isinstance(plain.value, torch.Tensor)  # on the CPU the values are right


BROAD_META = """
import sys
import torch
import torch.nn.functional as F

def layers(x, W, b):
    # elementwise references, reductions, convolutions, pooling, an LSTM cell, top-k
    h = torch.sigmoid(x @ W.T + b) * torch.tanh(x @ W.T) - (x @ W.T).exp().log1p()
    h = torch.where(h > 0, h, -h).clamp(min=0).softmax(-1).log_softmax(-1)
    img = x.reshape(1, 1, 3, 4)
    c = F.conv2d(img, torch.ones(2, 1, 2, 2, dtype=x.dtype, device=x.device), padding=1)
    c = F.max_pool2d(F.conv_transpose2d(c, torch.ones(2, 1, 2, 2, dtype=x.dtype, device=x.device)), 2)
    hx, cx = torch.lstm_cell(x[:, :2], (x[:, :3], x[:, :3]), torch.ones(12, 2, dtype=x.dtype, device=x.device),
                             torch.ones(12, 3, dtype=x.dtype, device=x.device))
    bce = F.binary_cross_entropy_with_logits(h, torch.sigmoid(h))
    return h.sum() + c.mean() + hx.var() + cx.abs().sqrt().sum() + bce + torch.topk(h, 2).values.sum()

def dynamo_imported():
    return "torch._dynamo" in sys.modules
"""


def test_meta_checks_run_without_torch_dynamo_in_the_worker(tmp_path: Path):
    # The fork server boots without torch._dynamo (grader.sandbox.dynamo_stub): a meta run
    # that imported it anyway would cost a second and meet the call tracers (meta.warm_up).
    (tmp_path / "student.py").write_text(BROAD_META)
    worker = Worker(str(tmp_path / "student.py"), "student", import_timeout_s=60)
    assert worker.start().kind == "value"
    try:
        report = worker.call("layers", _args(), {}, 30, op="meta")
        plain = worker.call("layers", _args(), {}, 30)
        imported = worker.call("dynamo_imported", [], {}, 30)
    finally:
        worker.stop()
    assert report.kind == "value" and report.value["status"] == "returned", report.value
    assert judge_meta_run("layers", report.value) is None
    assert plain.kind == "value" and torch.isfinite(plain.value)
    assert imported.kind == "value" and imported.value is False


def test_the_dynamo_stand_in_covers_wrappers_made_before_and_after_it():
    code = textwrap.dedent("""
        import sys, torch
        before = torch._disable_dynamo(lambda x: x + 1)
        from grader.sandbox import dynamo_stub
        count = dynamo_stub.install()
        assert dynamo_stub.install() == 0  # once only
        after = torch._disable_dynamo(lambda x: x * 2)
        partial = torch._disable_dynamo(recursive=False)(lambda x: x - 1)
        x = torch.ones(2, device="meta")
        y = torch.add(x, x).sigmoid()
        assert before(1) == 2 and after(2) == 4 and partial(3) == 2 and y.device.type == "meta"
        print(count, "torch._dynamo" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    count, imported = out.stdout.split()
    assert int(count) > 100 and imported == "False", out.stderr[-2000:]


def test_a_failing_boot_step_does_not_stop_the_fork_server():
    # multiprocessing's server dies of a preload raising anything but ImportError.
    code = textwrap.dedent("""
        from grader.sandbox import dynamo_stub
        def broken():
            raise RuntimeError("a torch this stand-in does not know")
        dynamo_stub.install = broken
        import grader.sandbox.server_boot
        print("booted")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "booted", out.stderr[-2000:]


def test_the_command_line_takes_cuda_n_and_refuses_other_devices(tmp_path: Path):
    from click.testing import CliRunner

    from grader.cli import cli

    bad = CliRunner().invoke(cli, ["grade", str(tmp_path), "--device", "gpu"])
    assert bad.exit_code == 2 and "cpu, cuda or cuda:N" in bad.output
    if not torch.cuda.is_available():
        absent = CliRunner().invoke(cli, ["grade", str(tmp_path), "--device", "cuda:0", "--only", "iou"])
        # a GraderError: ``grader.cli.main`` turns it into exit code 2 and its message
        assert absent.exit_code != 0 and "no CUDA device here" in f"{absent.output}{absent.exception}"


def _generator_frame(device: str, state: torch.Tensor) -> bytes:
    import json
    import struct

    from grader.sandbox import wire

    encoder = wire._Encoder(lenient=False)
    header = json.dumps({"$gen": [device, encoder.tensor(state)]}).encode()
    return struct.pack(">I", len(header)) + header + b"".join(encoder.buffers)


def test_a_generator_sent_to_another_device_is_seeded_by_its_state():
    """A suite's CPU generator reaching a CUDA worker (here: a CUDA state reaching the CPU, the
    direction a CPU-only machine can run) cannot take the other device's state; it is seeded from
    it, so the same state draws the same numbers and another state others."""
    from grader.sandbox import wire

    philox = torch.tensor([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=torch.uint8)
    other = philox.clone()
    other[0] = 2
    first, again, changed = (wire.decode(_generator_frame("cuda:0", s), device="cpu") for s in (philox, philox, other))
    assert all(g.device.type == "cpu" for g in (first, again, changed))
    draws = [torch.randn(4, generator=g) for g in (first, again, changed)]
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])
    g = torch.Generator().manual_seed(7)  # the same device: the state itself travels
    assert torch.equal(torch.randn(3, generator=wire.decode(wire.encode(g), device="cpu")), torch.randn(3, generator=g))


def test_a_cpu_tensor_that_meta_lets_through_still_counts(tmp_path: Path):
    """Meta's matmul accepts an n-dim CPU operand (a GPU refuses it); indexing by CPU indices,
    which a GPU accepts, is not counted."""
    (tmp_path / "st.py").write_text("import torch\n\n"
                                    "def eye(x):\n    return x @ torch.eye(x.shape[1], dtype=x.dtype)\n\n"
                                    "def index(x):\n"
                                    "    return x[torch.arange(len(x)), torch.zeros(len(x), dtype=torch.long)]\n")
    spec = importlib.util.spec_from_file_location("_device_test_mix", tmp_path / "st.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = (str(tmp_path), "/submissions/bob")
    eye = judge_meta_run("eye", run_on_meta(module.eye, [torch.randn(2, 3)], {}, paths, run_tracking_inputs))
    assert eye and "in Tensor.matmul at st.py line 4" in eye and "made by torch.eye" in eye
    index = run_on_meta(module.index, [torch.randn(2, 3)], {}, paths, run_tracking_inputs)
    assert judge_meta_run("index", index) is None
