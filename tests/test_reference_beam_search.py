"""The beam_search reference against brute force and hand-worked cases (no sandbox)."""

from __future__ import annotations

import importlib.util
import itertools
import math
from pathlib import Path

import pytest
import torch

_ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load(_ROOT / "reference" / "beam_search" / "beam_search.py", "_reference_beam_search_under_test")
models = _load(_ROOT / "assignments" / "beam_search" / "models.py", "_beam_search_models_under_test")


def _all_sequences(vocab: int, eos: int, max_len: int):
    """Every complete sequence after bos: ends in eos, or has max_len tokens without eos."""
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=length):
            if eos in seq[:-1]:
                continue
            if seq[-1] == eos or length == max_len:
                yield list(seq)


def _log_prob(step_fn, tokens):
    return sum(float(step_fn(torch.tensor([tokens[:t]]))[0, tokens[t]]) for t in range(1, len(tokens)))


def test_bigram_log_probs_and_greedy_by_hand() -> None:
    logits = torch.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    lm = models.ngram_model(logits, bos=2)
    rows = torch.log_softmax(logits, dim=-1)
    assert ref.sequence_log_prob(lm, [2]) == 0.0
    assert ref.sequence_log_prob(lm, [2, 1, 0]) == pytest.approx(float(rows[2, 1] + rows[1, 0]))
    # row of bos is uniform: lowest id (0) wins; row 0 prefers 2; row 2 uniform again -> 0
    assert ref.greedy_decode(lm, bos=2, eos=1, max_len=4) == [2, 0, 2, 0, 2]
    assert ref.greedy_decode(lm, bos=2, eos=0, max_len=4) == [2, 0]


@pytest.mark.parametrize("seed", range(6))
def test_unpruned_beam_search_is_the_brute_force_argmax(seed: int) -> None:
    vocab, bos, eos, max_len = 3, 0, 1, 3
    lm = models.tree_model(seed, vocab, bos)
    scored = [(_log_prob(lm, [bos] + seq), [bos] + seq) for seq in _all_sequences(vocab, eos, max_len)]
    best_score = max(score for score, _ in scored)
    result = ref.beam_search(lm, bos, eos, vocab ** max_len, max_len)
    assert len(result) == len(scored)  # nothing pruned: every complete sequence is in the pool
    assert result[0][1] == pytest.approx(best_score, rel=1e-12)
    assert sorted(tokens for tokens, _ in result) == sorted(tokens for _, tokens in scored)


@pytest.mark.parametrize("seed", range(6))
def test_width_one_is_greedy_and_scores_are_normalised(seed: int) -> None:
    lm = models.rnn_model(seed, 4, 3, bos=0, scale=2.0)
    ((tokens, _),) = ref.beam_search(lm, 0, 1, 1, 5)
    assert tokens == ref.greedy_decode(lm, 0, 1, 5)
    for tokens, score in ref.beam_search(lm, 0, 1, 3, 4, length_alpha=0.7):
        assert type(score) is float and all(type(t) is int for t in tokens)
        assert tokens[0] == 0 and 1 not in tokens[1:-1]
        assert score == pytest.approx(_log_prob(lm, tokens) / (len(tokens) - 1) ** 0.7, rel=1e-12)


def test_ties_keep_enumeration_order_and_finished_come_first() -> None:
    lm = models.ngram_model(torch.zeros(4, 4, dtype=torch.float64), bos=0)
    # all four candidates tie at log(1/4): keep tokens 0, 1, 2 in that order; 1 is eos
    result = ref.beam_search(lm, 0, 1, 3, 1)
    assert [tokens for tokens, _ in result] == [[0, 1], [0, 0], [0, 2]]
    assert all(score == pytest.approx(math.log(0.25)) for _, score in result)


def test_invalid_arguments_raise() -> None:
    lm = models.ngram_model(torch.zeros(3, 3), bos=0)
    for width, max_len in [(0, 3), (2, 0), (-1, -1)]:
        with pytest.raises(ValueError):
            ref.beam_search(lm, 0, 1, width, max_len)
    with pytest.raises(ValueError):
        ref.greedy_decode(lm, 0, 1, 0)


def test_models_refuse_prefixes_that_break_the_contract() -> None:
    lm = models.ngram_model(torch.zeros(3, 3), bos=0)
    with pytest.raises(ValueError):
        lm(torch.tensor([[1, 2]]))  # does not start with bos
    with pytest.raises(ValueError):
        lm(torch.tensor([0, 1]))  # not (B, t)
    with pytest.raises(ValueError):
        lm(torch.tensor([[0.0, 1.0]]))  # not a LongTensor


def _hidden_suite():
    from grader.checks.built import load_module_file

    return load_module_file(str(_ROOT / "reference" / "beam_search" / "suite.py"))


def test_near_tie_detector_flags_rounding_only() -> None:
    hidden = _hidden_suite()
    # the hand-built cases keep their exact comparison
    for case in hidden._HAND_CASES:
        case = dict(case)
        assert not hidden.has_near_tie(case.pop("step_fn").build(), **case)
    # exact ties from equal log-probabilities follow the tie rules: not a near-tie
    uniform = models.ngram_model(torch.zeros(4, 4, dtype=torch.float64), bos=0)
    assert not hidden.has_near_tie(uniform, 0, 1, 3, 3, 0.0)
    # two first tokens 1e-12 apart: their order is rounding, and beam_width 1 cuts between them
    close = models.ngram_model(torch.tensor([0.0, 1e-12, -5.0, -5.0], dtype=torch.float64), bos=3)
    assert hidden.has_near_tie(close, 3, 2, 1, 2, 0.0)
    # the same gap far from the cut of a wider beam still orders the kept list: flagged too
    assert hidden.has_near_tie(close, 3, 2, 3, 1, 0.0)
