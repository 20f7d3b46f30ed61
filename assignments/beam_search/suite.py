"""Visible tests for beam_search: an in-suite greedy oracle, brute force, and invariants.

Rounding (SPEC §2): scores are compared within 1e-9 relative, so a solution that sums the
log-probabilities in another order (math.fsum, a tensor sum) keeps every point. Where a
greedy step has a runner-up within that tolerance of the maximum but not equal to it, the
argmax is rounding, not a decision: any well-formed decoding is accepted there (exact ties,
as the tie models construct them, still follow "lowest token id"). The brute-force test
compares scores, never which of two near-equal sequences came first.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import Mismatch, assert_close, assert_equal, assert_raises, check
from grader.spec import Suite

# No function is meta-safe (grader.checks.device): decoding decides by log-probability values
# (argmax, sorting, early stops), and step_fn takes CPU prefixes and returns Python floats.
suite = Suite(
    "beam_search",
    student_file="beam_search.py",
    title="Greedy and beam-search decoding",
    functions=("sequence_log_prob", "greedy_decode", "beam_search"),
)

SCORE_RTOL, SCORE_ATOL = 1e-9, 1e-12  # scores are Python floats (float64) summed token by token


def lm(factory: str, **data):
    """A language model built on both sides from models.py (see models.py for the factories)."""
    return gst.built(__file__, "models.py", factory, **data)


# ---------------------------------------------------------------- strategies


@st.composite
def language_models(draw: st.DrawFn, ties: bool | None = None, dtype: str | None = None,
                    max_vocab: int = 5) -> dict:
    """{"step_fn", "bos", "eos", "vocab_size"}: an n-gram, prefix-tree or RNN model.

    ``ties=True`` draws models whose rows repeat values exactly (uniform rows included).
    """
    vocab_size = draw(st.integers(3, max_vocab))
    bos, eos = draw(st.permutations(range(vocab_size)))[:2]
    with_ties = draw(st.booleans()) if ties is None else ties
    dt = dtype or draw(st.sampled_from(["float64", "float32"]))
    kinds = ["ngram", "tree"] if with_ties else ["ngram", "tree", "rnn"]
    kind = draw(st.sampled_from(kinds))
    if kind == "ngram":
        order = draw(st.integers(1, 3 if vocab_size <= 4 else 2))
        elements = st.sampled_from([0.0, 1.0, 2.0]) if with_ties else st.floats(-3.0, 3.0)
        torch_dtype = torch.float32 if dt == "float32" else torch.float64
        # continuous logits are distinct, so ties are rare there and exact in the tie models
        logits = draw(gst.tensors((vocab_size,) * order, dtype=torch_dtype, elements=elements, unique=not with_ties))
        model = lm("ngram_model", logits=logits, bos=bos)
    elif kind == "tree":
        levels = draw(st.integers(1, 3)) if with_ties else 0
        model = lm("tree_model", seed=draw(st.integers(0, 10_000)), vocab_size=vocab_size, bos=bos,
                   levels=levels, dtype=dt)
    else:
        model = lm("rnn_model", seed=draw(st.integers(0, 10_000)), vocab_size=vocab_size,
                   hidden_size=draw(st.integers(2, 4)), bos=bos,
                   scale=draw(st.sampled_from([0.5, 1.0, 3.0])), dtype=dt)
    return {"step_fn": model, "bos": bos, "eos": eos, "vocab_size": vocab_size}


def with_fields(models: st.SearchStrategy, **fields: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(models, st.fixed_dictionaries(fields)).map(lambda pair: {**pair[0], **pair[1]})


# ---------------------------------------------------------------- oracles (the grader's copy of the model)


def rows_of(step_fn, prefixes: list[list[int]]) -> list[list[float]]:
    return step_fn(torch.tensor(prefixes, dtype=torch.int64)).to(torch.float64).tolist()


def oracle_log_prob(step_fn, tokens: list[int]) -> float:
    score = 0.0
    for t in range(1, len(tokens)):
        score += rows_of(step_fn, [tokens[:t]])[0][tokens[t]]
    return score


def oracle_greedy(step_fn, bos: int, eos: int, max_len: int) -> list[int]:
    tokens = [bos]
    for _ in range(max_len):
        row = rows_of(step_fn, [tokens])[0]
        best = row.index(max(row))  # first (lowest id) of the maximal values
        tokens.append(best)
        if best == eos:
            break
    return tokens


def is_near_tie(a: float, b: float) -> bool:
    """Distinct scores closer than the suite's score tolerance: their order is rounding, not a decision."""
    return a != b and abs(a - b) <= SCORE_ATOL + SCORE_RTOL * max(abs(a), abs(b))


def greedy_has_near_tie(step_fn, bos: int, eos: int, max_len: int) -> bool:
    """Whether some step of greedy decoding has a runner-up within rounding of the maximum (SPEC §2: such an
    argmax may go either way, e.g. for a solution that compares probabilities instead of log-probabilities)."""
    tokens = [bos]
    for _ in range(max_len):
        row = rows_of(step_fn, [tokens])[0]
        best = max(row)
        if any(is_near_tie(best, value) for value in row):
            return True
        tokens.append(row.index(best))
        if tokens[-1] == eos:
            break
    return False


def check_decoded(got, step_fn, bos: int, eos: int, max_len: int, vocab_size: int, *, name: str) -> None:
    """Where the greedy path has a near-tie, any well-formed decoding is accepted (SPEC §2)."""
    check(isinstance(got, list) and all(type(tok) is int for tok in got),
          f"{name} must return a list of Python ints, got {got!r}")
    check(len(got) >= 2 and got[0] == bos and len(got) - 1 <= max_len and eos not in got[1:-1]
          and all(0 <= tok < vocab_size for tok in got),
          f"{name} returned {got}: expected bos = {bos} then 1 to max_len = {max_len} token ids, eos = {eos} "
          "only as the last one")


def brute_force_best(step_fn, bos: int, eos: int, max_len: int) -> float:
    """The highest log-probability of any complete sequence (ends in eos, or max_len tokens)."""
    best = float("-inf")
    frontier = [([bos], 0.0)]
    for step in range(max_len):
        rows = rows_of(step_fn, [tokens for tokens, _ in frontier])
        grown = []
        for (tokens, score), row in zip(frontier, rows, strict=True):
            for v, lp in enumerate(row):
                if v == eos or step == max_len - 1:
                    best = max(best, score + lp)
                else:
                    grown.append((tokens + [v], score + lp))
        frontier = grown
    return best


def entries_of(result, name: str = "beam_search") -> list[tuple[list[int], float]]:
    """The student's result as (tokens, score) pairs, after checking the documented types."""
    if not isinstance(result, (list, tuple)):
        raise Mismatch(f"{name}: expected a list of (tokens, score) pairs, got {type(result).__name__}")
    entries = []
    for i, entry in enumerate(result):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise Mismatch(f"{name}[{i}]: expected a (tokens, score) pair, got {entry!r}")
        tokens, score = entry
        if not isinstance(tokens, (list, tuple)) or not all(type(tok) is int for tok in tokens):
            raise Mismatch(f"{name}[{i}]: tokens must be a list of Python ints, got {tokens!r}")
        if type(score) is not float:
            raise Mismatch(f"{name}[{i}]: the score must be a Python float, got {type(score).__name__} {score!r}")
        entries.append((list(tokens), score))
    return entries


def _show(entries) -> str:
    return "[" + ", ".join(f"({tokens}, {score:.12g})" for tokens, score in entries) + "]"


def assert_same_beams(got, want, name: str = "beam_search") -> None:
    """Same entries in the same order: tokens exactly, scores within 1e-9 relative."""
    entries = entries_of(got, name)
    where = f"\n  got:      {_show(entries)}\n  expected: {_show(want)}"
    if len(entries) != len(want):
        raise Mismatch(f"{name}: returned {len(entries)} entries, expected {len(want)}" + where)
    for i, ((tokens, score), (w_tokens, w_score)) in enumerate(zip(entries, want, strict=True)):
        if tokens != w_tokens:
            raise Mismatch(f"{name}[{i}]: tokens {tokens}, expected {w_tokens}" + where)
        if abs(score - w_score) > SCORE_ATOL + SCORE_RTOL * abs(w_score):
            raise Mismatch(f"{name}[{i}]: score {score!r}, expected {w_score!r}" + where)


def _tokens_case(draw: st.DrawFn) -> dict:
    case = draw(language_models())
    length = draw(st.integers(0, 4))
    case["tokens"] = [case["bos"]] + draw(st.lists(st.integers(0, case["vocab_size"] - 1),
                                                   min_size=length, max_size=length))
    return case


# ---------------------------------------------------------------- tests

_BIGRAM_TIES = torch.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)


@suite.test(
    "sequence_log_prob: the sum of the log-probabilities after bos",
    functions=("sequence_log_prob",),
    points=2,
    inputs=st.composite(_tokens_case)(),
    examples=[
        {"step_fn": lm("ngram_model", logits=_BIGRAM_TIES, bos=2), "bos": 2, "eos": 0, "vocab_size": 3,
         "tokens": [2, 1, 0]},
        {"step_fn": lm("tree_model", seed=1, vocab_size=4, bos=0), "bos": 0, "eos": 1, "vocab_size": 4,
         "tokens": [0]},
    ],
    max_examples=25,
    hint="tokens includes bos; add log p(tokens[t] | tokens[:t]) for t = 1 .. len-1 as Python "
         "floats (a sequence of bos alone has log-probability 0.0). Return a Python float.",
)
def _(student, step_fn, bos, eos, vocab_size, tokens):
    got = student.sequence_log_prob(step_fn, tokens)
    want = oracle_log_prob(step_fn.build(), tokens)
    check(type(got) is float, f"sequence_log_prob must return a Python float, got {type(got).__name__} {got!r}")
    assert_close(got, want, rtol=SCORE_RTOL, atol=SCORE_ATOL, name="sequence_log_prob")


@suite.test(
    "greedy_decode: argmax each step (lowest id on ties), stops after eos or max_len tokens",
    functions=("greedy_decode",),
    points=2,
    inputs=with_fields(language_models(), max_len=st.integers(1, 5)),
    examples=[
        {"step_fn": lm("ngram_model", logits=_BIGRAM_TIES, bos=2), "bos": 2, "eos": 1, "vocab_size": 3,
         "max_len": 4},
        {"step_fn": lm("tree_model", seed=7, vocab_size=3, bos=1, levels=1), "bos": 1, "eos": 2,
         "vocab_size": 3, "max_len": 3},
    ],
    max_examples=30,
    hint="The result includes bos and ends right after the first eos, or after max_len tokens "
         "following bos; on equal log-probabilities pick the lowest token id.",
)
def _(student, step_fn, bos, eos, vocab_size, max_len):
    got = student.greedy_decode(step_fn, bos, eos, max_len)
    model = step_fn.build()
    if greedy_has_near_tie(model, bos, eos, max_len):  # accept either argmax (SPEC §2), check the form only
        check_decoded(got, model, bos, eos, max_len, vocab_size, name="greedy_decode")
        return
    assert_equal(got, oracle_greedy(model, bos, eos, max_len), name="greedy_decode")


@suite.test(
    "beam_search with beam_width 1 returns the greedy sequence",
    functions=("beam_search",),
    points=2,
    inputs=with_fields(language_models(), max_len=st.integers(1, 5),
                       length_alpha=st.sampled_from([0.0, 0.5, 1.0])),
    examples=[
        {"step_fn": lm("ngram_model", logits=_BIGRAM_TIES, bos=2), "bos": 2, "eos": 1, "vocab_size": 3,
         "max_len": 4, "length_alpha": 0.0},
    ],
    max_examples=25,
    hint="With one beam, each step keeps the single best candidate (the first one on ties, in "
         "enumeration order), exactly like greedy decoding.",
)
def _(student, step_fn, bos, eos, vocab_size, max_len, length_alpha):
    entries = entries_of(student.beam_search(step_fn, bos, eos, 1, max_len, length_alpha))
    check(len(entries) == 1, f"beam_search with beam_width 1 returned {len(entries)} entries, expected 1")
    model = step_fn.build()
    if greedy_has_near_tie(model, bos, eos, max_len):  # accept either argmax (SPEC §2), check the form only
        check_decoded(entries[0][0], model, bos, eos, max_len, vocab_size, name="best tokens")
        return
    assert_equal(entries[0][0], oracle_greedy(model, bos, eos, max_len), name="best tokens")


@suite.test(
    "beam_search without pruning finds the brute-force best sequence (length_alpha = 0)",
    functions=("beam_search",),
    points=2,
    inputs=with_fields(language_models(max_vocab=4), max_len=st.integers(1, 3)),
    max_examples=20,
    hint="With beam_width >= V**max_len nothing is pruned, so the best returned entry is the most "
         "probable of all sequences that end in eos or reach max_len tokens after bos.",
)
def _(student, step_fn, bos, eos, vocab_size, max_len):
    width = vocab_size ** max_len
    entries = entries_of(student.beam_search(step_fn, bos, eos, width, max_len, 0.0))
    check(len(entries) >= 1, "beam_search returned no entries")
    model = step_fn.build()
    best = brute_force_best(model, bos, eos, max_len)
    tokens, score = entries[0]
    assert_close(score, best, rtol=SCORE_RTOL, atol=SCORE_ATOL, name="best score (brute force)")
    assert_close(oracle_log_prob(model, tokens), best, rtol=SCORE_RTOL, atol=SCORE_ATOL,
                 name=f"log-probability of the best tokens {tokens}")


@suite.test(
    "beam_search results are well formed: sorted, bos first, eos only last, score = log-prob / L**alpha",
    functions=("beam_search",),
    points=2,
    inputs=with_fields(language_models(), beam_width=st.integers(1, 4), max_len=st.integers(1, 5),
                       length_alpha=st.sampled_from([0.0, 0.6, 1.0, 2.0])),
    max_examples=30,
    hint="Each entry is (tokens, score): tokens start with bos, contain eos at most once and "
         "only as the last token, have at most max_len tokens after bos; score is the "
         "sequence's log-probability divided by L**length_alpha (L = tokens after bos, eos "
         "included); entries are sorted by score, highest first; at most beam_width entries.",
)
def _(student, step_fn, bos, eos, vocab_size, beam_width, max_len, length_alpha):
    entries = entries_of(student.beam_search(step_fn, bos, eos, beam_width, max_len, length_alpha))
    check(1 <= len(entries) <= beam_width,
          f"beam_search returned {len(entries)} entries; expected between 1 and beam_width = {beam_width}")
    model = step_fn.build()
    for i, (tokens, score) in enumerate(entries):
        check(len(tokens) >= 2 and tokens[0] == bos,
              f"entry {i}: tokens {tokens} must start with bos = {bos} and hold at least one more token")
        check(eos not in tokens[1:-1], f"entry {i}: tokens {tokens} continue after eos = {eos}")
        check(len(tokens) - 1 <= max_len,
              f"entry {i}: tokens {tokens} hold more than max_len = {max_len} tokens after bos")
        check(all(0 <= tok < vocab_size for tok in tokens), f"entry {i}: tokens {tokens} outside [0, {vocab_size})")
        want = oracle_log_prob(model, tokens) / (len(tokens) - 1) ** length_alpha
        assert_close(score, want, rtol=SCORE_RTOL, atol=SCORE_ATOL,
                     name=f"entry {i} score (log-probability of {tokens} / {len(tokens) - 1}**{length_alpha})")
    scores = [score for _, score in entries]
    check(all(a >= b for a, b in zip(scores[:-1], scores[1:], strict=True)),
          f"scores are not sorted highest first: {scores}")
    check(len({tuple(tokens) for tokens, _ in entries}) == len(entries),
          f"the same sequence is returned twice: {[tokens for tokens, _ in entries]}")


@suite.test(
    "beam_search and greedy_decode raise ValueError for beam_width < 1 or max_len < 1",
    functions=("beam_search", "greedy_decode"),
    points=1,
    inputs=st.fixed_dictionaries({"beam_width": st.integers(-2, 3), "max_len": st.integers(-2, 3)}).filter(
        lambda case: case["beam_width"] < 1 or case["max_len"] < 1),
    examples=[{"beam_width": 0, "max_len": 3}, {"beam_width": 2, "max_len": 0}],
    max_examples=10,
    hint="beam_width and max_len must be at least 1; raise ValueError otherwise (before decoding).",
)
def _(student, beam_width, max_len):
    model = lm("ngram_model", logits=_BIGRAM_TIES, bos=2)
    assert_raises(ValueError, student.beam_search, model, 2, 0, beam_width, max_len)
    if max_len < 1:
        assert_raises(ValueError, student.greedy_decode, model, 2, 0, max_len)
    # and valid arguments still decode (a function that always raises earns nothing here); this model has
    # exact ties only, no near-ties
    assert_equal(student.greedy_decode(model, 2, 1, 3), oracle_greedy(model.build(), 2, 1, 3),
                 name="greedy_decode(model, bos=2, eos=1, max_len=3)")
    entries = entries_of(student.beam_search(model, 2, 1, 1, 3))
    check(len(entries) == 1 and entries[0][0] == oracle_greedy(model.build(), 2, 1, 3),
          f"beam_search(model, bos=2, eos=1, beam_width=1, max_len=3) returned {entries}, expected the greedy "
          f"sequence {oracle_greedy(model.build(), 2, 1, 3)}")
