"""The static backstop for forbidden calls: resolved through imports, graded code only."""

from __future__ import annotations

from grader.sandbox.source_scan import MODULE_LEVEL, describe_uses, find_forbidden, find_forbidden_uses

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


def test_the_uses_name_the_graded_function_that_leads_to_them() -> None:
    src = ("import torch\nfrom torch.autograd import grad\n"
           "def _h(x):\n    return grad(x, x)\n"
           "def f(x):\n    return _h(x)\n"
           "def g(x):\n    return x.backward()\n"
           "CHECK = torch.autograd.grad\n")
    uses = find_forbidden_uses(src, FORBIDDEN, ("f", "g"))
    assert uses == {"torch.autograd.grad": ("_h, called from f", MODULE_LEVEL)}
    assert describe_uses("backprop.py", uses) == (
        "backprop.py refers to torch.autograd.grad (in _h, called from f; module-level code)")
