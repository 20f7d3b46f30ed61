"""Device discipline: judging the meta-device run of a student's function, and the messages
for results on the wrong device and for CUDA faults.

Where the check runs, and why there. A test that calls a function its suite declares
``meta_safe`` runs it, on its first call in that test, once more with the same arguments
moved to torch's ``meta`` device (:mod:`grader.sandbox.meta`, in the worker). This is a check
inside each test rather than one extra test per assignment because that is what a GPU does:
on CUDA, a ``torch.zeros(n)`` inside ``linear_forward`` fails every test that calls
``linear_forward``, and the CPU grade should cost what the GPU grade costs, no more (an
extra test would move every other test's share of the points) and no less. The cost is the
points of the tests whose function has the bug, so it is proportional to how much of the
assignment rests on it. It is deterministic: the first call of a test is its first explicit
example (or the first case of a seeded search), the same for every run and every student,
and the test ends at once (no shrinking: the bug does not depend on the values).

What counts as a bug is device evidence only, never "meta cannot do this":

| meta run                                             | verdict                         |
|------------------------------------------------------|---------------------------------|
| a result tensor on ``cpu`` (inputs were on meta)     | bug: made without ``device=``   |
| "is not on the expected device", "same device"       | bug: a CPU tensor mixed in      |
| an op given an n-dim CPU tensor and a meta one       | bug, even where meta allows it  |
| ``.numpy()`` / ``np.asarray`` of a tensor            | bug: no ``.numpy()`` on CUDA    |
| ``.cpu()`` / ``.to("cpu")``                           | bug: data leaves the device     |
| writing into a tensor a factory made on the CPU      | bug: made without ``device=``   |
| ``.item()``, ``float()``, ``bool()``, ``.tolist()``  | not by themselves: see below    |
| an op with no meta kernel, data-dependent shapes     | not by themselves: see below    |

``.item()`` and ``.tolist()`` are synchronisations, slow but correct on a GPU; flagging them
would cost a correct solution a point it keeps on CUDA. Where the meta run stops at one (or at
anything else meta cannot run) without device evidence, the function runs once more on its
CPU inputs while :mod:`grader.sandbox.provenance` follows which tensors come from them: a
``torch.tensor(x.tolist())`` returned, or a CPU-made tensor meeting the inputs' data, is a bug.
"""

from __future__ import annotations

from typing import Any

_MISMATCH = ("is not on the expected device", "Expected all tensors to be on the same device",
             "device type tensor to numpy")
_COPY_OUT = "Cannot copy out of meta tensor"
_LEAVES_DEVICE = {"Tensor.cpu": ".cpu()", "Tensor.to": '.to("cpu")', "Tensor.numpy": ".numpy()",
                  "Tensor.__array__": "a NumPy conversion"}
_WRITES = ("Tensor.__setitem__", "Tensor.copy_", "Tensor.index_put_", "Tensor.index_copy_", "Tensor.masked_scatter_")
_FACTORY_HINT = ("create tensors on the inputs' device: torch.zeros(n, device=x.device, dtype=x.dtype) "
                 "(or torch.zeros_like(x), x.new_zeros(n), torch.tensor(v, device=x.device, dtype=x.dtype))")
_CPU_HINT = ("keep the computation on the inputs' device: drop the .cpu() (every torch operation runs on "
             "any device), and make new tensors with device=x.device")
_NUMPY_HINT = ("compute with torch operations on the tensor itself instead of NumPy (a CUDA tensor has no "
               ".numpy()): torch.log, torch.exp, torch.maximum, ... take and return tensors on their device")
_HOW = ("(found by calling it once more with its tensor inputs on torch's meta device, which tracks shapes, "
        "dtypes and devices but no values; on a GPU this call fails the same way)")


def _where(frame: Any) -> str:
    if not isinstance(frame, dict) or not isinstance(frame.get("line"), int):
        return ""
    name = str(frame.get("file", "")).rsplit("/", 1)[-1]
    code = str(frame.get("code", ""))[:160]
    return f"{name} line {frame['line']}" + (f": `{code}`" if code else "")


def _creation(created: Any) -> tuple[str, str]:
    """The likeliest place a CPU tensor was made: the first factory call, else the first record."""
    records = [c for c in created if isinstance(c, dict)] if isinstance(created, list) else []
    if not records:
        return "", ""
    first = next((c for c in records if not str(c.get("what", "")).startswith("Tensor.")), records[0])
    return str(first.get("what", "")), _where(first)


def judge_meta_run(fn: str, report: Any) -> str | None:
    """The failure message for a meta run that shows a device bug, or None (no evidence)."""
    if not isinstance(report, dict):
        return None
    made, made_at = _creation(report.get("created"))
    created = f"; the CPU tensor was made by {made} at {made_at}" if made and made_at else ""
    mixed = _mixing(fn, report.get("mixed"), created)
    if report.get("status") == "returned":
        wrong = report.get("misplaced")
        if not (isinstance(wrong, list) and wrong):
            return mixed
        what = ", ".join(f"{w[0]} on {w[1]}" for w in wrong if isinstance(w, list) and len(w) == 2)
        return (f"{fn} does not keep to its inputs' device: with its inputs on meta it returned {what}"
                f"{created}. Fix: {_FACTORY_HINT} {_HOW}")
    if report.get("status") != "raised":
        return None
    error = report.get("error") if isinstance(report.get("error"), dict) else {}
    message = str(error.get("message", ""))
    call = str(report.get("call", ""))
    at = _where(report.get("frame"))
    at_text = f" at {at}" if at else ""
    if "device type tensor to numpy" in message or call in ("Tensor.numpy", "Tensor.__array__"):
        return (f"{fn} converts a tensor to NumPy{at_text}: on a GPU .numpy() raises. Fix: {_NUMPY_HINT} {_HOW}")
    if _COPY_OUT in message and call in _LEAVES_DEVICE:
        return (f"{fn} moves a tensor to the CPU with {_LEAVES_DEVICE[call]}{at_text}: on a GPU the result "
                f"leaves the inputs' device. Fix: {_CPU_HINT} {_HOW}")
    if _COPY_OUT in message and call in _WRITES and made:
        return (f"{fn} writes its inputs' data into a tensor made on the CPU{at_text}{created}: on a GPU the "
                f"result stays on the CPU. Fix: {_FACTORY_HINT} {_HOW}")
    if any(m in message for m in _MISMATCH):
        return (f"{fn} mixes a CPU tensor with its inputs' device{at_text} ({message.split(': ', 1)[-1]})"
                f"{created}. Fix: {_FACTORY_HINT} {_HOW}")
    if mixed:
        return mixed  # it mixed devices before it stopped where meta cannot go
    return _judge_tracked(fn, report.get("tracked"))


_TRACKED_HOW = ("(found by running it once more on its CPU inputs and following which tensors come from them, "
                "past the value reads the meta device cannot make; on a GPU this call fails the same way)")


def _judge_tracked(fn: str, report: Any) -> str | None:
    """The verdict of the run that follows the inputs (grader.sandbox.provenance)."""
    if not isinstance(report, dict):
        return None
    made, made_at = _creation(report.get("created"))
    created = f"; that tensor was made by {made} at {made_at}" if made and made_at else ""
    records = [m for m in report.get("mixed") or () if isinstance(m, dict)]
    if records:
        at = _where(records[0])
        return (f"{fn} mixes a tensor made on the CPU with its inputs' device in {records[0].get('what', 'a call')}"
                f"{f' at {at}' if at else ''}{created}: a GPU refuses this. Fix: {_FACTORY_HINT} {_TRACKED_HOW}")
    wrong = report.get("misplaced") if report.get("status") == "returned" else None
    if isinstance(wrong, list) and wrong:
        what = ", ".join(str(w[0]) for w in wrong if isinstance(w, list) and w)
        return (f"{fn} returns {what} as a new CPU tensor, not one on its inputs' device{created} (a value read "
                f"with .item() or .tolist() and made into a tensor again stays on the CPU). Fix: {_FACTORY_HINT} "
                f"{_TRACKED_HOW}")
    return None


def _mixing(fn: str, mixed: Any, created: str) -> str | None:
    """A call that met a CPU tensor beside the inputs' device (meta's matmul lets it pass; a GPU
    does not)."""
    records = [m for m in mixed if isinstance(m, dict)] if isinstance(mixed, list) else []
    if not records:
        return None
    at = _where(records[0])
    return (f"{fn} mixes a CPU tensor with its inputs' device in {records[0].get('what', 'a torch call')}"
            f"{f' at {at}' if at else ''}{created}: a GPU refuses this. Fix: {_FACTORY_HINT} {_HOW}")


def wrong_device_message(message: str) -> str:
    """A result on another device than the inputs' (the worker names the function and both)."""
    return (f"{message}: results must be on the inputs' device (SPEC §2). Fix: {_FACTORY_HINT}, "
            "and do not call .cpu() on a result")


def cuda_fault_message(fn: str, message: str) -> str:
    return (f"{fn} hit a CUDA error: {message}. The context it poisons is not reused: this test scores 0 "
            "and the next test runs in a fresh worker with a fresh CUDA context")
