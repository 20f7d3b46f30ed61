"""``grader doctor``'s GPU section: plain on a CPU-only machine, complete where a GPU is."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from grader import doctor as doctor_module
from grader.cli import cli


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_doctor_says_plainly_there_is_no_gpu():
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code in (0, 1), result.output
    assert "GPU:" in result.output
    assert f"torch {torch.__version__}" in result.output
    text = " ".join(result.output.split())
    assert "no GPU: torch.cuda.is_available() is False, so grading runs on the CPU" in text
    assert "NOT reachable" not in text


def test_gpu_report_on_a_cpu_machine_is_not_a_fault(monkeypatch):
    monkeypatch.setattr(doctor_module.cuda, "describe_devices",
                        lambda: {"torch": "2.13.0+cpu", "cuda_build": None, "available": False, "devices": []})
    lines, ok = doctor_module.gpu_report()
    assert ok and lines[0] == "torch 2.13.0+cpu, built for CUDA none (a CPU-only build)"
    assert lines[1].startswith("no GPU:")


def test_gpu_report_names_devices_driver_and_the_sandbox_probe(monkeypatch):
    monkeypatch.setattr(doctor_module.cuda, "describe_devices", lambda: {
        "torch": "2.13.0+cu128", "cuda_build": "12.8", "available": True, "devices": ["NVIDIA H100 80GB HBM3"],
        "cudnn": 91000})
    monkeypatch.setattr(doctor_module, "_driver", lambda: "NVIDIA H100 80GB HBM3, 570.86.15, 81559 MiB")
    monkeypatch.setattr(doctor_module, "worker_reaches",
                        lambda device: (False, "the worker did not start on cuda: CUDA could not start"))
    lines, ok = doctor_module.gpu_report()
    text = "\n".join(lines)
    assert not ok
    assert "built for CUDA 12.8" in text and "cuda:0: NVIDIA H100 80GB HBM3" in text
    assert "driver: NVIDIA H100 80GB HBM3, 570.86.15" in text
    assert "NOT reachable in the sandbox: the worker did not start on cuda" in text
    assert "TF32 off" in text
