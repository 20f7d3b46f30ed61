"""A forbidden call costs only the functions that make it, and the graded functions calling them."""

from __future__ import annotations

from paths import ROOT

from grader.grading import GradeOptions, grade_submission
from grader.sandbox.source_scan import charged_functions

LSTM_REFERENCE = (ROOT / "reference" / "lstm" / "lstm.py").read_text()
GRU_BY_TORCH = '''

def _torch_gru(x, h, W_ih, W_hh, b_ih, b_hh):
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1]).to(x.dtype)
    with torch.no_grad():
        cell.weight_ih.copy_(W_ih)
        cell.weight_hh.copy_(W_hh)
        cell.bias_ih.copy_(b_ih)
        cell.bias_hh.copy_(b_hh)
    return cell(x, h).detach()


def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    return _torch_gru(x, h, W_ih, W_hh, b_ih, b_hh)
'''


def test_the_charge_follows_the_call_graph() -> None:
    source = ("import torch\n\ndef bad(x):\n    return torch.nn.GRUCell(1, 1)\n\ndef helper(x):\n    return bad(x)\n\n"
              "def graded_caller(x):\n    return helper(x)\n\ndef innocent(x):\n    return x\n")
    charged, whole = charged_functions(source, ["torch.nn.GRUCell"], ("bad", "graded_caller", "innocent"))
    assert not whole and set(charged) == {"bad", "graded_caller"}
    assert charged["graded_caller"] == "torch.nn.GRUCell (in bad, which graded_caller calls through helper)"
    _, whole = charged_functions(source + "\nCELL = torch.nn.GRUCell\n", ["torch.nn.GRUCell"], ("innocent",))
    assert whole  # module-level code runs at import: the whole file pays


def test_gru_cell_by_torch_costs_only_the_gru_tests(course, make_submission) -> None:
    folder = make_submission({"lstm.py": LSTM_REFERENCE + GRU_BY_TORCH})
    result = grade_submission(folder, course, GradeOptions(only=("lstm",), jobs=1))
    (lstm,) = result.assignments
    assert lstm.status == "graded"
    for test in lstm.tests:
        if "gru_cell" in test.functions:
            assert test.status == "violation" and test.score == 0, test.name
            assert "torch.nn.GRUCell (in _torch_gru, which gru_cell calls)" in test.message
            assert "the other functions are graded" in test.message
        else:
            assert test.status == "passed", (test.name, test.status, test.message)
    assert 0 < lstm.score < lstm.max_score
