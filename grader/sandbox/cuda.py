"""CUDA in the grader and in its workers: exact float32, a fresh context per worker, faults.

Design (``--device cuda[:N]``):

* **No CUDA context crosses a fork.** A CUDA context cannot survive ``fork()``: the child's
  copy is unusable ("Cannot re-initialize CUDA in forked subprocess"). Workers are forked by
  multiprocessing's *fork server* (:func:`grader.sandbox.fork_server.fork_context`), a process
  started by exec'ing a fresh interpreter that imports torch but never touches CUDA (importing
  torch does not initialise it; nothing in the preload calls ``torch.cuda``). So every worker
  is forked from a CUDA-free process and creates its own context, whatever the grading
  process has done on the GPU since (its oracles run there). The other fork in the grader,
  the assignment pool's, forks the grading process itself, so it is refused once that
  process holds a context (:func:`grader.assignment_pool.usable_jobs`).
* **A CUDA fault costs one test.** A device-side assert or an illegal access poisons the
  context of the process it happened in, and out-of-memory leaves its allocator in an unknown
  state. :func:`is_fault` recognises them; the test that met one ends at once with status
  ``error`` and its worker is killed, so the next test starts a new worker with a new context.
* **Exact float32.** :func:`exact_float32` turns TF32 off for matmul and cuDNN (convolutions,
  RNNs) in the worker and in the grading process. TF32 keeps 10 mantissa bits, a relative
  error near 1e-3, three orders above float32's; the tolerances are float32's (they are what
  the CPU computes), and a grade must not depend on the card (SPEC §2: no verdict hinges on
  rounding). Off by default, a student's correct float32 code gives the same numbers to
  float32 precision on CPU and GPU.
* **Memory limit after the context.** Creating a context reserves tens of GB of virtual
  address space, so ``RLIMIT_AS`` set before it makes CUDA fail to start. The worker creates
  its context first (:func:`prepare`) and then limits its address space to what it holds
  plus ``memory_mb``, as it does on the CPU.
"""

from __future__ import annotations

from typing import Any

import torch

# Messages of errors that leave a CUDA context (or its allocator) unusable.
_FAULT_MARKERS = ("CUDA error", "CUDA out of memory", "CUBLAS_STATUS", "CUDNN_STATUS", "cuDNN error",
                  "device-side assert", "illegal memory access", "an illegal instruction")
_FAULT_TYPES = ("OutOfMemoryError", "AcceleratorError", "CudaError")


def is_cuda(device: str | None) -> bool:
    return bool(device) and str(device).startswith("cuda")


def is_fault(type_names: tuple[str, ...] | list[str], message: str) -> bool:
    """Whether an exception a worker reported is a CUDA fault (not the student's Python error)."""
    return any(t in _FAULT_TYPES for t in type_names) or any(m in message for m in _FAULT_MARKERS)


def exact_float32() -> None:
    """TF32 off for matmul and cuDNN (see the module docstring for why)."""
    backends: Any = torch.backends
    if hasattr(backends, "fp32_precision"):  # torch >= 2.9: one switch for every backend
        backends.fp32_precision = "ieee"
        cudnn = backends.cudnn
        for owner in (backends.cuda.matmul, getattr(cudnn, "conv", None), getattr(cudnn, "rnn", None)):
            if owner is not None and hasattr(owner, "fp32_precision"):
                owner.fp32_precision = "ieee"
        return
    backends.cuda.matmul.allow_tf32 = False
    backends.cudnn.allow_tf32 = False


def tf32_state() -> str:
    """TF32 settings in words, for ``grader doctor`` and the tests (never raises)."""
    backends: Any = torch.backends
    try:
        if hasattr(backends.cuda.matmul, "fp32_precision"):
            conv = getattr(getattr(backends.cudnn, "conv", None), "fp32_precision", "?")
            rnn = getattr(getattr(backends.cudnn, "rnn", None), "fp32_precision", "?")
            return f"matmul {backends.cuda.matmul.fp32_precision}, cuDNN conv {conv}, cuDNN rnn {rnn}"
        return f"matmul allow_tf32={backends.cuda.matmul.allow_tf32}, cuDNN allow_tf32={backends.cudnn.allow_tf32}"
    except RuntimeError as exc:  # torch refuses to read flags set through both of its APIs
        return f"unreadable ({exc})"


def is_exact_float32() -> bool:
    state = tf32_state()
    return "tf32" not in state and "True" not in state and "unreadable" not in state


def prepare(device: str | None) -> str:
    """In a worker, before the student's file is imported: select the device, create the
    context, exact float32. Returns "" or why CUDA cannot be used (the worker then refuses
    to grade, an instructor's problem, not the student's)."""
    if not is_cuda(device):
        return ""
    exact_float32()
    try:
        target = torch.device(str(device))
        if not torch.cuda.is_available():
            return f"--device {device}: torch.cuda.is_available() is False inside the worker"
        if target.index is not None:
            torch.cuda.set_device(target.index)
        torch.empty(1, device=target)  # creates the context now, before the address-space limit
        torch.cuda.synchronize()
    except Exception as exc:  # noqa: BLE001 - any failure to start CUDA is reported, not raised
        return f"CUDA could not start in the worker: {type(exc).__name__}: {exc}"[:500]
    return ""


def describe_devices() -> dict[str, Any]:
    """What this process sees of CUDA (for ``grader doctor``); touches CUDA only where present."""
    info: dict[str, Any] = {"torch": torch.__version__, "cuda_build": torch.version.cuda,
                            "available": False, "devices": []}
    try:
        info["available"] = bool(torch.cuda.is_available())
        if info["available"]:
            info["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            info["cudnn"] = torch.backends.cudnn.version()
    except Exception as exc:  # noqa: BLE001 - a broken driver is a finding, not a crash
        info["error"] = f"{type(exc).__name__}: {exc}"
    return info


def prepare_worker(config: dict[str, Any], report: dict[str, str]) -> None:
    """The worker's CUDA step, after confinement and before the student's import: the context,
    then the address-space limit :func:`grader.sandbox.confinement.confine` left out for it.
    A failure lands in ``report`` (``process``: the worker refuses to grade)."""
    device = config.get("device")
    if not is_cuda(device):
        return
    problem = prepare(device)
    if problem:
        report["process"] = problem
        return
    from grader.sandbox.limits import Limits, limit_address_space

    if not limit_address_space(Limits(**config.get("limits", {}))):
        report["rlimits"] = "; ".join(p for p in (report.get("rlimits", ""), "could not set: memory") if p)


def parse_device(device: str) -> str:
    """``cpu``, ``cuda`` or ``cuda:N``, normalised; ValueError for anything else."""
    text = str(device).strip().lower()
    if text == "cpu" or text == "cuda":
        return text
    if text.startswith("cuda:") and text[5:].isdigit():
        return f"cuda:{int(text[5:])}"
    raise ValueError(f"device must be cpu, cuda or cuda:N, got {device!r}")


def require(device: str) -> None:
    """Before grading on ``device``: refuse loudly (an instructor's problem) where it is absent,
    and turn TF32 off in the grading process too, where the oracles run on the same device."""
    if not is_cuda(device):
        return
    from grader.errors import SandboxError

    if not torch.cuda.is_available():
        raise SandboxError(f"--device {device}: no CUDA device here (torch {torch.__version__}, "
                           f"built for CUDA {torch.version.cuda or 'none'}); grade with --device cpu")
    index = torch.device(device).index
    if index is not None and index >= torch.cuda.device_count():
        raise SandboxError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    exact_float32()
