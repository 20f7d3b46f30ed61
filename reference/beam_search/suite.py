"""Hidden tests for beam_search: exact comparison with the reference (tokens equal, scores
within 1e-9 relative) on n-gram, prefix-tree and RNN models, exact ties, length
normalisation, float32 log-probabilities and hand-built cases.

Rounding (SPEC §2): where the search meets a near-tie (two candidates, or two final entries,
whose order decides the result and whose scores lie within the score tolerance without being
an exact tie from the same log-probabilities, ``has_near_tie``), a solution summing in another
order may rank them either way: such cases are checked for well-formedness and scores only.
Exact ties (the tie models, uniform rows) still follow the SPEC's tie rules. Greedy decoding
accepts either argmax where a runner-up is within rounding of the maximum.
"""

from __future__ import annotations

from pathlib import Path

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.built import load_module_file
from grader.checks.compare import Mismatch, assert_close, assert_equal, check
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "beam_search.py")
visible = load_module_file(str(Path(__file__).resolve().parents[2] / "assignments" / "beam_search" / "suite.py"))
suite = Suite("beam_search")

# the models live in the public folder (students can build them too); gst.built resolves
# models.py next to the file it is given
_PUBLIC_SUITE = str(Path(__file__).resolve().parents[2] / "assignments" / "beam_search" / "suite.py")
SCORE_RTOL, SCORE_ATOL = 1e-9, 1e-12


def lm(factory: str, **data):
    return gst.built(_PUBLIC_SUITE, "models.py", factory, **data)


@st.composite
def language_models(draw: st.DrawFn, kinds: tuple[str, ...] = ("ngram", "tree", "rnn"), ties: bool = False,
                    dtype: str | None = None) -> dict:
    vocab_size = draw(st.integers(3, 6))
    bos, eos = draw(st.permutations(range(vocab_size)))[:2]
    dt = dtype or draw(st.sampled_from(["float64", "float32"]))
    kind = draw(st.sampled_from(kinds))
    if kind == "ngram":
        order = draw(st.integers(1, 3 if vocab_size <= 4 else 2))
        elements = st.sampled_from([0.0, 1.0, 2.0]) if ties else st.floats(-4.0, 4.0)
        torch_dtype = torch.float32 if dt == "float32" else torch.float64
        # continuous logits are distinct, so ties are rare there and exact in the tie models
        logits = draw(gst.tensors((vocab_size,) * order, dtype=torch_dtype, elements=elements, unique=not ties))
        model = lm("ngram_model", logits=logits, bos=bos)
    elif kind == "tree":
        levels = draw(st.integers(1, 3)) if ties else 0
        model = lm("tree_model", seed=draw(st.integers(0, 100_000)), vocab_size=vocab_size, bos=bos,
                   levels=levels, dtype=dt)
    else:
        model = lm("rnn_model", seed=draw(st.integers(0, 100_000)), vocab_size=vocab_size,
                   hidden_size=draw(st.integers(2, 4)), bos=bos,
                   scale=draw(st.sampled_from([0.5, 1.0, 2.0, 4.0])), dtype=dt)
    return {"step_fn": model, "bos": bos, "eos": eos}


def with_fields(models: st.SearchStrategy, **fields: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(models, st.fixed_dictionaries(fields)).map(lambda pair: {**pair[0], **pair[1]})


def beam_cases(models: st.SearchStrategy, alphas: st.SearchStrategy = st.just(0.0)) -> st.SearchStrategy:
    return with_fields(models, beam_width=st.integers(1, 5), max_len=st.integers(1, 5), length_alpha=alphas)


def _entries(result) -> list[tuple[list[int], float]]:
    if not isinstance(result, (list, tuple)):
        raise Mismatch(f"beam_search: expected a list of (tokens, score) pairs, got {type(result).__name__}")
    entries = []
    for i, entry in enumerate(result):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise Mismatch(f"beam_search[{i}]: expected a (tokens, score) pair, got {entry!r}")
        tokens, score = entry
        if not isinstance(tokens, (list, tuple)) or not all(type(tok) is int for tok in tokens):
            raise Mismatch(f"beam_search[{i}]: tokens must be a list of Python ints, got {tokens!r}")
        if type(score) is not float:
            raise Mismatch(f"beam_search[{i}]: the score must be a Python float, got {type(score).__name__} {score!r}")
        entries.append((list(tokens), score))
    return entries


def _show(entries) -> str:
    return "[" + ", ".join(f"({tokens}, {score:.12g})" for tokens, score in entries) + "]"


def assert_same_beams(got, want) -> None:
    entries = _entries(got)
    where = f"\n  got:      {_show(entries)}\n  expected: {_show(want)}"
    if len(entries) != len(want):
        raise Mismatch(f"beam_search returned {len(entries)} entries, expected {len(want)}" + where)
    for i, ((tokens, score), (w_tokens, w_score)) in enumerate(zip(entries, want, strict=True)):
        if tokens != w_tokens:
            raise Mismatch(f"beam_search[{i}]: tokens {tokens}, expected {w_tokens}" + where)
        if abs(score - w_score) > SCORE_ATOL + SCORE_RTOL * abs(w_score):
            raise Mismatch(f"beam_search[{i}]: score {score!r}, expected {w_score!r}" + where)


def _is_near(a: float, b: float) -> bool:
    return abs(a - b) <= SCORE_ATOL + SCORE_RTOL * max(abs(a), abs(b))


def _order_is_rounding(ranked: list[tuple[float, list[float]]], cut: int, raw: bool = True) -> bool:
    """Whether two neighbours among the first ``cut + 1`` ranked entries (score, token log-probs) are ordered
    by rounding: scores within the tolerance, unless an exact tie that every summation order keeps, then
    ordered by the SPEC's tie rule: equal scores from the same multiset of log-probabilities, or (for raw
    scores, no division by L**alpha) equal sums of at most two terms each (one addition has one rounding)."""
    for (a, terms_a), (b, terms_b) in zip(ranked[:cut], ranked[1:cut + 1]):
        if not _is_near(a, b):
            continue
        if a == b and (sorted(terms_a) == sorted(terms_b) or (raw and len(terms_a) <= 2 and len(terms_b) <= 2)):
            continue
        return True
    return False


def has_near_tie(step_fn, bos: int, eos: int, beam_width: int, max_len: int, length_alpha: float) -> bool:
    """Whether SPEC §3's beam search on this model meets a decision decided by rounding (SPEC §2): a cut or an
    order between candidates (or final entries) whose scores lie within the score tolerance without being an
    exact tie. Such cases are checked for well-formedness only: either outcome is accepted."""
    live: list[tuple[list[int], float, list[float]]] = [([bos], 0.0, [])]
    finished: list[tuple[list[int], float, list[float]]] = []
    for _ in range(max_len):
        rows = step_fn(torch.tensor([t for t, _, _ in live], dtype=torch.int64)).to(torch.float64).tolist()
        candidates = [(t + [v], score + row[v], terms + [row[v]])
                      for (t, score, terms), row in zip(live, rows, strict=True) for v in range(len(row))]
        ranked = sorted(candidates, key=lambda c: c[1], reverse=True)
        if _order_is_rounding([(c[1], c[2]) for c in ranked], beam_width):
            return True
        kept = ranked[:beam_width]
        finished += [c for c in kept if c[0][-1] == eos]
        live = [c for c in kept if c[0][-1] != eos]
        if not live or len(finished) >= beam_width:
            break
    pool = sorted(((score / (len(t) - 1) ** length_alpha, terms) for t, score, terms in finished + live),
                  key=lambda e: e[0], reverse=True)
    return _order_is_rounding(pool, beam_width, raw=length_alpha == 0.0)


def _check_well_formed(got, model, bos, eos, beam_width, max_len, length_alpha) -> None:
    """Any outcome of a near-tie is accepted: each entry's score is its own tokens' log-probability / L**alpha,
    entries sorted, at most beam_width of them."""
    entries = _entries(got)
    check(1 <= len(entries) <= beam_width, f"beam_search returned {len(entries)} entries, expected 1 to {beam_width}")
    for i, (tokens, score) in enumerate(entries):
        check(len(tokens) >= 2 and tokens[0] == bos and len(tokens) - 1 <= max_len and eos not in tokens[1:-1],
              f"beam_search[{i}]: tokens {tokens} must be bos = {bos}, then 1 to {max_len} tokens, eos = {eos} "
              "only last")
        want = ref.sequence_log_prob(model, tokens) / (len(tokens) - 1) ** length_alpha
        assert_close(score, want, rtol=SCORE_RTOL, atol=SCORE_ATOL, name=f"beam_search[{i}] score")
    scores = [score for _, score in entries]
    check(all(a >= b for a, b in zip(scores[:-1], scores[1:])), f"scores are not sorted highest first: {scores}")


def _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha) -> None:
    got = student.beam_search(step_fn, bos, eos, beam_width, max_len, length_alpha)
    model = step_fn.build()
    if has_near_tie(model, bos, eos, beam_width, max_len, length_alpha):
        _check_well_formed(got, model, bos, eos, beam_width, max_len, length_alpha)
        return
    assert_same_beams(got, ref.beam_search(model, bos, eos, beam_width, max_len, length_alpha))


_HINT = ("Follow SPEC §3 step by step: enumerate candidates parent by parent, token id by token id; "
         "keep the beam_width best raw scores with a stable sort; kept candidates ending in eos are "
         "set aside in `finished`; stop when no live hypothesis remains or len(finished) >= beam_width; "
         "pool = finished then live, rescored by raw / L**length_alpha, stably sorted, cut to beam_width.")


# ---------------------------------------------------------------- hand-built models

# bigram over {0, 1, 2, 3}, bos = 3, eos = 0: eos is likely, so hypotheses finish early and
# the early-stop rule and the pool order decide the result
_EOS_HEAVY = torch.tensor([
    [0.0, 0.0, 0.0, 0.0],
    [2.0, 1.5, 0.5, -1.0],
    [1.8, 0.2, 1.0, -1.0],
    [1.0, 0.9, 0.8, -5.0],
], dtype=torch.float64)
# exact ties: uniform rows everywhere
_UNIFORM = torch.zeros(4, 4, dtype=torch.float64)
# a long, improbable-at-first path beats short ones only if the search keeps it
_GARDEN_PATH = torch.tensor([
    [0.0, 0.0, 0.0],
    [3.0, -3.0, 0.0],
    [0.0, 2.0, 1.9],
], dtype=torch.float64)


# hypotheses of different lengths with EQUAL final scores: [bos, 0] scores log 1/4 and [bos, 1, 0] scores
# log 1/2 + log 1/2, the same float (one addition, exact), so the pool's stable sort keeps the order in which
# they joined `finished` (the shorter first)
_EQUAL_LENGTHS = torch.log(torch.tensor([
    [0.25, 0.25, 0.25, 0.25],
    [0.5, 0.25, 0.125, 0.125],
    [0.25, 0.25, 0.25, 0.25],
    [0.25, 0.5, 0.125, 0.125],
], dtype=torch.float64))


def _hand(logits: torch.Tensor, bos: int, eos: int, beam_width: int, max_len: int, length_alpha: float = 0.0) -> dict:
    return {"step_fn": lm("ngram_model", logits=logits, bos=bos), "bos": bos, "eos": eos,
            "beam_width": beam_width, "max_len": max_len, "length_alpha": length_alpha}


_HAND_CASES = [
    _hand(_EOS_HEAVY, 3, 0, 2, 5),
    _hand(_EOS_HEAVY, 3, 0, 3, 5),
    _hand(_EOS_HEAVY, 3, 0, 3, 5, 1.0),
    _hand(_EOS_HEAVY, 3, 1, 2, 4, 0.5),
    _hand(_UNIFORM, 0, 1, 3, 1),
    _hand(_UNIFORM, 0, 1, 3, 2),
    _hand(_UNIFORM, 2, 3, 5, 3),
    _hand(_GARDEN_PATH, 2, 0, 2, 4),
    _hand(_GARDEN_PATH, 2, 0, 1, 4),
    _hand(_GARDEN_PATH, 2, 1, 3, 5, 1.0),
    _hand(_EQUAL_LENGTHS, 3, 0, 2, 2),
    _hand(_EQUAL_LENGTHS, 3, 0, 3, 3),
]


# ---------------------------------------------------------------- beam_search vs the reference


@suite.test(
    "beam_search matches the reference (n-gram models)",
    functions=("beam_search",),
    points=2,
    inputs=beam_cases(language_models(kinds=("ngram",)), st.sampled_from([0.0, 0.0, 0.5, 1.0])),
    examples=_HAND_CASES[:4],
    max_examples=30,
    hint=_HINT,
)
def _(student, step_fn, bos, eos, beam_width, max_len, length_alpha):
    _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha)


@suite.test(
    "beam_search matches the reference (prefix-tree and RNN models)",
    functions=("beam_search",),
    points=2,
    inputs=beam_cases(language_models(kinds=("tree", "rnn")), st.sampled_from([0.0, 0.0, 0.5, 1.0])),
    max_examples=30,
    hint=_HINT,
)
def _(student, step_fn, bos, eos, beam_width, max_len, length_alpha):
    _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha)


@suite.test(
    "beam_search matches the reference on models with exact ties",
    functions=("beam_search",),
    points=2,
    inputs=beam_cases(language_models(kinds=("ngram", "tree"), ties=True)),
    examples=_HAND_CASES[4:7],
    max_examples=30,
    hint="Ties are broken by position only: candidates are enumerated parent by parent (in the "
         "live list's order), token id by token id, and every sort is stable (torch.topk is not); "
         "the pool is finished (in joining order) then live.",
)
def _(student, step_fn, bos, eos, beam_width, max_len, length_alpha):
    _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha)


@suite.test(
    "beam_search with length normalisation matches the reference",
    functions=("beam_search",),
    points=2,
    inputs=beam_cases(language_models(), st.sampled_from([0.5, 0.7, 1.0, 2.0])),
    examples=[_HAND_CASES[2], _HAND_CASES[9]],
    max_examples=30,
    hint="Prune on raw scores; divide by L**length_alpha only in the final pool, where L counts "
         "the tokens after bos (eos included, bos not).",
)
def _(student, step_fn, bos, eos, beam_width, max_len, length_alpha):
    _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha)


@suite.test(
    "beam_search accumulates float32 log-probabilities as Python floats",
    functions=("beam_search",),
    points=1,
    inputs=beam_cases(language_models(dtype="float32"), st.sampled_from([0.0, 1.0])).filter(
        lambda case: case["max_len"] >= 2),
    max_examples=20,
    hint="Convert each log-probability to a Python float (float64) before adding it to the "
         "hypothesis's score; summing float32 tensors loses precision.",
)
def _(student, step_fn, bos, eos, beam_width, max_len, length_alpha):
    _compare(student, step_fn, bos, eos, beam_width, max_len, length_alpha)


@suite.test(
    "beam_search: finished hypotheses, early stop and the final pool (hand-built models)",
    functions=("beam_search",),
    points=1.5,
    inputs=None,
    hint=_HINT,
)
def _(student):
    for case in _HAND_CASES:
        _compare(student, **case)


# ---------------------------------------------------------------- greedy_decode and sequence_log_prob


@suite.test(
    "greedy_decode matches the reference (ties, float32, max_len)",
    functions=("greedy_decode",),
    points=1.5,
    inputs=with_fields(st.one_of(language_models(), language_models(kinds=("ngram", "tree"), ties=True)),
                       max_len=st.integers(1, 6)),
    examples=[
        {"step_fn": lm("ngram_model", logits=_UNIFORM, bos=0), "bos": 0, "eos": 1, "max_len": 3},
        {"step_fn": lm("ngram_model", logits=_EOS_HEAVY, bos=3), "bos": 3, "eos": 2, "max_len": 5},
        {"step_fn": lm("ngram_model", logits=_EOS_HEAVY, bos=3), "bos": 3, "eos": 0, "max_len": 1},
    ],
    max_examples=30,
    hint="Lowest token id on ties; stop right after eos, or after max_len tokens (bos not counted).",
)
def _(student, step_fn, bos, eos, max_len):
    got = student.greedy_decode(step_fn, bos, eos, max_len)
    model = step_fn.build()
    if visible.greedy_has_near_tie(model, bos, eos, max_len):  # either argmax (SPEC §2): the form only
        vocab = model(torch.tensor([[bos]])).shape[1]
        visible.check_decoded(got, model, bos, eos, max_len, vocab, name="greedy_decode")
        return
    assert_equal(got, ref.greedy_decode(model, bos, eos, max_len), name="greedy_decode")


@st.composite
def _token_cases(draw: st.DrawFn) -> dict:
    case = draw(language_models())
    # build the grader's copy of the model once to learn its vocabulary size
    vocab = case["step_fn"].build()(torch.tensor([[case["bos"]]])).shape[1]
    length = draw(st.integers(0, 5))
    case["tokens"] = [case["bos"]] + draw(st.lists(st.integers(0, vocab - 1), min_size=length, max_size=length))
    return case


@suite.test(
    "sequence_log_prob matches the reference (float32 log-probs, bos alone)",
    functions=("sequence_log_prob",),
    points=1,
    inputs=_token_cases(),
    examples=[
        {"step_fn": lm("ngram_model", logits=_EOS_HEAVY.float(), bos=3), "bos": 3, "eos": 0, "tokens": [3, 1, 2, 1, 0]},
        {"step_fn": lm("ngram_model", logits=_EOS_HEAVY, bos=3), "bos": 3, "eos": 0, "tokens": [3]},
    ],
    max_examples=25,
    hint="Return a Python float: the sum, as Python floats, of the log-probabilities of "
         "tokens[1:], each given the tokens before it (0.0 for [bos]).",
)
def _(student, step_fn, bos, eos, tokens):
    got = student.sequence_log_prob(step_fn, tokens)
    check(type(got) is float, f"sequence_log_prob must return a Python float, got {type(got).__name__} {got!r}")
    assert_close(got, ref.sequence_log_prob(step_fn.build(), tokens), rtol=SCORE_RTOL, atol=SCORE_ATOL,
                 name="sequence_log_prob")
