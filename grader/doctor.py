"""``grader doctor``: which sandbox protections hold on this machine, and why any is missing;
which GPUs there are and whether a sandboxed worker can use them.

Exit 0 when every protection is active, 1 when some are missing (grading still runs, with
a warning) or a GPU is present that the worker cannot reach, 2 when no worker can start at
all. A machine without a GPU is not a fault: it grades on the CPU.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import click
import torch
from rich.console import Console
from rich.table import Table

from grader.sandbox import cuda
from grader.sandbox.protections import probe, sandbox_warnings, warning_line

_warned = {"done": False}


@click.command()
def doctor() -> None:
    """Check which sandbox protections are active on this machine."""
    console = Console(highlight=False)
    protections = probe()
    table = Table(title=f"sandbox protections on {sys.platform}")
    table.add_column("protection")
    table.add_column("state")
    table.add_column("what it does / why it is missing")
    for p in protections:
        table.add_row(p.name, "[green]active[/]" if p.is_active else "[red]missing[/]",
                      p.description if p.is_active else p.reason)
    console.print(table)
    missing = [p.name for p in protections if not p.is_active]
    lines, gpu_ok = gpu_report()
    console.print("GPU:")
    for line in lines:
        console.print(f"  {line}", markup=False)
    if missing:
        console.print(f"{len(missing)} protection(s) missing: {', '.join(missing)}")
        sys.exit(1)
    console.print("every protection is active")
    if not gpu_ok:
        sys.exit(1)


_PROBE = """
import torch

def probe(x):
    y = x @ x.T
    return str(y.device), torch.cuda.get_device_name(y.device), float(y.sum())
"""


def _driver() -> str:
    """The NVIDIA driver as nvidia-smi reports it, or why it cannot be asked."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "nvidia-smi not found"
    try:
        out = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"nvidia-smi failed: {exc}"
    text = (out.stdout or out.stderr).strip()
    return "; ".join(text.splitlines()[:8]) if text else f"nvidia-smi exited with {out.returncode}"


def worker_reaches(device: str, timeout_s: float = 120.0) -> tuple[bool, str]:
    """Start a sandboxed worker on ``device`` and run one matmul there; (ok, what it said)."""
    from grader.sandbox.process import Worker

    folder = tempfile.mkdtemp(prefix="grader-gpu-probe-")
    try:
        path = os.path.join(folder, "gpu_probe.py")
        with open(path, "w") as f:
            f.write(_PROBE)
        worker = Worker(student_path=path, module_name="gpu_probe", device=device, import_timeout_s=timeout_s)
        try:
            started = worker.start()
            if started.kind != "value":
                return False, f"the worker did not start on {device}: {started.message or started.error}"
            reply = worker.call("probe", [torch.ones(2, 2)], {}, timeout_s)
        finally:
            worker.stop()
        if reply.kind != "value":
            detail = reply.error.message if reply.error else reply.message
            return False, f"the worker could not compute on {device}: {detail}"
        where, name, total = reply.value
        return where.startswith("cuda") and total == 4.0, f"a sandboxed worker computed on {where} ({name})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def gpu_report() -> tuple[list[str], bool]:
    """Lines about the GPUs, CUDA and the driver, and whether every GPU present is usable."""
    info = cuda.describe_devices()
    lines = [f"torch {info['torch']}, built for CUDA {info['cuda_build'] or 'none (a CPU-only build)'}"]
    if info.get("error"):
        lines.append(f"CUDA is broken here: {info['error']}")
    if not info["available"]:
        lines.append("no GPU: torch.cuda.is_available() is False, so grading runs on the CPU "
                     "(--device cuda is refused); device bugs in meta-safe functions are still caught "
                     "there, on torch's meta device")
        if shutil.which("nvidia-smi"):
            lines.append(f"driver: {_driver()}")
        return lines, not info.get("error")
    lines.append(f"cuDNN {info.get('cudnn')}; driver: {_driver()}")
    for i, name in enumerate(info["devices"]):
        lines.append(f"cuda:{i}: {name}")
    ok, said = worker_reaches("cuda")
    lines.append(("reachable in the sandbox: " if ok else "NOT reachable in the sandbox: ") + said)
    cuda.exact_float32()
    lines.append(f"float32 in the worker and the grader: TF32 off ({cuda.tf32_state()})")
    return lines, ok


def warn_once(*_: object, **__: object) -> None:
    """Print the one-line warning to stderr, once per process, if protections are missing.

    Registered as the command group's result callback, so it runs after a command that
    graded something (the probe is cached, so this costs nothing more).
    """
    if _warned["done"] or sandbox_warnings.cache_info().currsize == 0:
        return
    warnings = sandbox_warnings()
    if warnings:
        _warned["done"] = True
        print(warning_line(warnings), file=sys.stderr)
