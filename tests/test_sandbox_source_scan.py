"""The static backstop for forbidden calls: resolved through imports, graded code only."""

from __future__ import annotations

from grader.sandbox.source_scan import find_forbidden

FORBIDDEN = ("torch.autograd.grad", "torch.Tensor.backward", "torch.nn.LSTM", "torch.lstm")


def test_a_direct_call_is_found() -> None:
    src = "import torch\ndef f(x):\n    return torch.autograd.grad(x, x)\n"
    assert find_forbidden(src, FORBIDDEN, ("f",)) == ("torch.autograd.grad",)


def test_aliases_and_helpers_are_followed() -> None:
    src = "from torch.autograd import grad as g\ndef _h(x):\n    return g(x)\ndef f(x):\n    return _h(x)\n"
    assert find_forbidden(src, FORBIDDEN, ("f",)) == ("torch.autograd.grad",)


def test_private_torch_entry_points_are_found() -> None:
    src = "import torch as t\ndef f(x):\n    return t._VF.lstm(x)\n"
    assert find_forbidden(src, FORBIDDEN, ("f",)) == ("torch._VF.lstm",)


def test_an_own_backward_method_and_an_ungraded_self_check_are_not_flagged() -> None:
    src = ("import torch\nclass Layer:\n    def backward(self, d):\n        return d\n"
           "def _my_gradcheck(x):\n    return torch.autograd.grad(x, x)\n"
           "def f(x):\n    return Layer().backward(x)\n")
    assert find_forbidden(src, FORBIDDEN, ("f",)) == ()


def test_a_file_that_does_not_parse_is_left_to_the_import() -> None:
    assert find_forbidden("def f(:\n", FORBIDDEN, ("f",)) == ()
