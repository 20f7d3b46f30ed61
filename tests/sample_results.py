"""Hand-built results with every status, for the report tests (no grading: fast)."""

from __future__ import annotations

from grader.results import AssignmentResult, SubmissionResult, TestResult

XSS = "<script>alert('x')</script>"
HIDDEN_SECRET = "torch.tensor([[31337.0]])"


def _test(name: str, status: str, score: float, max_score: float = 2.0, **kw) -> TestResult:
    return TestResult(name=name, functions=kw.pop("functions", ("box_iou",)), score=score, max_score=max_score,
                      status=status, visibility=kw.pop("visibility", "visible"), **kw)


def mixed_submission(submission: str = "alice") -> SubmissionResult:
    """A submission with a passed, failed, error, timeout, violation, hidden, missing and stub test."""
    iou_tests = (
        _test("box_area is right", "passed", 2.0),
        _test("box_iou matches the definition", "failed", 0.0,
              message=f"IoU: 2 of 4 elements differ {XSS}",
              counterexample="import torch\nfrom iou import box_iou\n\n"
                             f"box_iou(torch.zeros(2, 4), torch.ones(2, 4))  # {XSS}",
              details={"name": "IoU", "kind": "values", "mismatched": 2, "total": 4, "rtol": 1e-4, "atol": 1e-5,
                       "got": [[0.5, float("nan")], [0.25, 1.0]], "expected": [[0.5, 0.125], [0.25, 0.75]],
                       "differs": [[False, True], [False, True]], "nonfinite_at": [[0, 1]],
                       "worst_abs": {"index": [1, 1], "error": 0.25, "got": 1.0, "expected": 0.75},
                       "worst_rel": {"index": [1, 1], "error": 0.3333, "got": 1.0, "expected": 0.75}},
              stdout=f"debug {XSS}\n" + "x" * 10_000, hint="Clamp the intersection at 0."),
        _test("nms raises", "error", 0.0, functions=("nms",), message="nms raised IndexError: index 5 is out of bounds",
              counterexample="nms(boxes, scores, 0.5)",
              traceback='  File "iou.py", line 12, in nms\n    keep[5]\nIndexError: index 5 is out of bounds'),
        _test("nms is fast", "timeout", 0.0, functions=("nms",), message="nms did not return in time"),
        _test("hidden reference comparison", "failed", 0.0, visibility="hidden",
              message=f"got 1.0 at {HIDDEN_SECRET}", counterexample=f"box_iou({HIDDEN_SECRET})",
              details={"kind": "scalar", "got": 1.0, "expected": 31337.0}, stdout=HIDDEN_SECRET),
        _test("hidden passes", "passed", 1.5, max_score=1.5, visibility="hidden"),
    )
    backprop_tests = (
        _test("mlp_loss_and_grads matches autograd", "violation", 0.0, max_score=5.0, functions=("mlp_loss_and_grads",),
              message="mlp_loss_and_grads called torch.Tensor.backward, which this assignment forbids",
              counterexample="mlp_loss_and_grads(x, y, params)"),
        _test("linear_forward", "failed", 0.0, max_score=5.0, functions=("linear_forward",), is_implemented=False,
              message="linear_forward is not implemented"),
    )
    assignments = (
        AssignmentResult(id="iou", title="Boxes: IoU", status="graded", score=3.5, max_score=11.5, tests=iou_tests),
        AssignmentResult(id="backprop", title="Backprop", status="graded", score=0.0, max_score=10.0,
                         tests=backprop_tests),
        AssignmentResult(id="elbo", title="ELBO", status="missing", score=0.0, max_score=4.0,
                         message="elbo.py was not submitted",
                         tests=(_test("kl", "failed", 0.0, message="elbo.py was not submitted",
                                      functions=("gaussian_kl",)),
                                _test("reparam", "failed", 0.0, message="elbo.py was not submitted",
                                      functions=("reparameterize",)))),
        AssignmentResult(id="lstm", title="LSTM", status="error", score=0.0, max_score=3.0,
                         message="SyntaxError: invalid syntax",
                         tests=(_test("lstm_cell", "error", 0.0, max_score=3.0, message="SyntaxError: invalid syntax",
                                      functions=("lstm_cell",)),)),
    )
    return SubmissionResult(submission=submission, score=3.5, max_score=28.5, assignments=assignments,
                            grader_version="0.1.0", seed=1234, graded_at="2026-01-02T03:04:05+00:00")


def perfect_submission(submission: str = "bob") -> SubmissionResult:
    base = mixed_submission(submission)
    assignments = tuple(
        AssignmentResult(id=a.id, title=a.title, status="graded", score=a.max_score, max_score=a.max_score,
                         tests=tuple(TestResult(name=t.name, functions=t.functions, score=t.max_score,
                                                max_score=t.max_score, status="passed", visibility=t.visibility)
                                     for t in a.tests))
        for a in base.assignments
    )
    return SubmissionResult(submission=submission, score=28.5, max_score=28.5, assignments=assignments,
                            grader_version="0.1.0", seed=1234, graded_at="2026-01-02T03:05:00+00:00")
