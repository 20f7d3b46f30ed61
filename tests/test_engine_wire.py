"""The wire format carries plain data only, and refuses anything else."""

from __future__ import annotations

import json
import pickle
import struct

import pytest
import torch

from grader.sandbox.wire import MAX_FRAME_BYTES, Opaque, WireError, decode, encode


def frame(header: object, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + body


def test_round_trip_of_every_plain_type():
    value = {
        "t": torch.arange(6, dtype=torch.float64).reshape(2, 3),
        "f32": torch.tensor([1.5, -2.0], dtype=torch.float32),
        "bf16": torch.tensor([1.0], dtype=torch.bfloat16),
        "idx": torch.tensor([3, 1], dtype=torch.int64),
        "mask": torch.tensor([True, False]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 4),
        "dtypes": [torch.float32, torch.float64, torch.int64],
        "nums": (1, 2.5, float("nan"), float("-inf"), None, True, "s"),
        7: ["nested", [1, [2]]],
    }
    back = decode(encode(value))
    assert set(back) == set(value)
    for key in ("t", "f32", "bf16", "idx", "mask", "scalar", "empty"):
        assert back[key].dtype == value[key].dtype and torch.equal(back[key], value[key])
    assert back["nums"][:2] == (1, 2.5) and back["nums"][4:] == (None, True, "s")
    assert back["nums"][3] == float("-inf") and back["nums"][2] != back["nums"][2]
    assert back[7] == ["nested", [1, [2]]]
    assert back["dtypes"] == [torch.float32, torch.float64, torch.int64]


def test_non_contiguous_tensor_keeps_its_values():
    t = torch.arange(12.0).reshape(3, 4).T
    assert torch.equal(decode(encode(t)), t)


def test_generator_travels_as_its_state():
    g = torch.Generator().manual_seed(1234)
    torch.randn(5, generator=g)  # advance it: the state, not the seed, must travel
    copy = decode(encode(g))
    assert torch.equal(torch.randn(4, generator=copy), torch.randn(4, generator=g))


def test_unknown_types_become_opaque_only_on_the_lenient_side():
    class Liar:
        def __eq__(self, other):
            return True

        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(WireError):
        encode(Liar())
    back = decode(encode([Liar()], lenient=True))
    assert isinstance(back[0], Opaque) and back[0].type_name.endswith("Liar")
    assert back[0] != 1  # an Opaque never compares equal to a real value


def test_a_pickle_is_not_a_frame():
    payload = pickle.dumps({"score": 100})
    with pytest.raises(WireError):
        decode(payload)


@pytest.mark.parametrize(
    "header",
    [
        {"$t": ["float64", [2], "cpu", 0, 8]},  # claims 16 bytes of data, holds 8
        {"$t": ["float64", [1], "cpu", 0, 8, "extra"]},
        {"$t": ["object", [1], "cpu", 0, 8]},
        {"$t": ["float64", [-1], "cpu", 0, 8]},
        {"$t": ["float64", [1], "file:///etc/passwd", 0, 8]},
        {"$build": ["/tmp/evil.py", "system", {}]},  # the grader never builds objects a worker names
        {"$pickle": "gASV"},
        {"$f": "1e309"},
        {"a": 1, "$tuple": []},
    ],
)
def test_malformed_frames_are_refused(header):
    with pytest.raises(WireError):
        decode(frame(header, b"\0" * 8))


def test_truncated_and_oversized_frames_are_refused():
    with pytest.raises(WireError):
        decode(b"\0\0")
    with pytest.raises(WireError):
        decode(struct.pack(">I", 100) + b"{}")
    with pytest.raises(WireError):
        decode(b"\0" * (MAX_FRAME_BYTES + 1))


def test_deep_nesting_is_refused_not_a_crash():
    deep = "[" * 100000 + "]" * 100000
    raw = deep.encode()
    with pytest.raises(WireError):
        decode(struct.pack(">I", len(raw)) + raw)


@pytest.mark.parametrize("leaf", [1, "s", [1, 2], {"k": 1}])
@pytest.mark.parametrize("untrusted", [False, True])
def test_the_depth_limit_counts_every_level_to_the_leaf(leaf, untrusted):
    from grader.sandbox.wire import MAX_DEPTH

    def nested(levels):
        value = leaf
        for _ in range(levels):
            value = [value]
        return value

    # A leaf sits at the depth of its lists: one more list than the limit allows is refused,
    # whether the leaf is a number, a string or a list of numbers taken as parsed.
    within = MAX_DEPTH if not isinstance(leaf, (list, dict)) else MAX_DEPTH - 1
    assert decode(frame(nested(within)), untrusted=untrusted) == nested(within)
    with pytest.raises(WireError, match="nested too deeply"):
        decode(frame(nested(within + 1)), untrusted=untrusted)
