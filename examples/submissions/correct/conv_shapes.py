"""Correct: counts window positions one by one instead of using the closed-form formulas."""

from __future__ import annotations


def _two(v):
    if isinstance(v, int):
        return v, v
    h, w = v
    return int(h), int(w)


def _count_windows(size, k, s, p, d, ceil_mode=False):
    span = size + 2 * p - d * (k - 1) - 1  # last valid start of a full window, in padded coordinates
    n = 0
    while True:
        start = n * s
        if ceil_mode:
            fits = start < span + s and start < size + p
        else:
            fits = start <= span
        if not fits:
            break
        n += 1
    return n


def _positive(name, *values):
    for v in values:
        if v < 1:
            raise ValueError(f"{name} must be positive")


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    H, W = _two(input_hw)
    ks, ss, ps, ds = _two(kernel_size), _two(stride), _two(padding), _two(dilation)
    _positive("input", H, W)
    _positive("kernel_size", *ks)
    _positive("stride", *ss)
    _positive("dilation", *ds)
    if min(ps) < 0:
        raise ValueError("negative padding")
    out = tuple(_count_windows(n, k, s, p, d) for n, k, s, p, d in zip((H, W), ks, ss, ps, ds))
    if min(out) < 1:
        raise ValueError(f"output would be {out}")
    return out


def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    H, W = _two(input_hw)
    ks, ss, ps, ops, ds = _two(kernel_size), _two(stride), _two(padding), _two(output_padding), _two(dilation)
    _positive("input", H, W)
    _positive("kernel_size", *ks)
    _positive("stride", *ss)
    _positive("dilation", *ds)
    if min(ps) < 0 or min(ops) < 0:
        raise ValueError("negative padding")
    out = []
    for n, k, s, p, op, d in zip((H, W), ks, ss, ps, ops, ds):
        if op >= s and op >= d:
            raise ValueError("output_padding must be smaller than stride or dilation")
        # the full (unpadded) scatter spans the last input's position plus the dilated kernel
        full = (n - 1) * s + d * (k - 1) + 1
        out.append(full - p - p + op)
    if out[0] < 1 or out[1] < 1:
        raise ValueError(f"output would be {tuple(out)}")
    return out[0], out[1]


def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    H, W = _two(input_hw)
    ks = _two(kernel_size)
    ss = ks if stride is None else _two(stride)
    ps, ds = _two(padding), _two(dilation)
    _positive("input", H, W)
    _positive("kernel_size", *ks)
    _positive("stride", *ss)
    _positive("dilation", *ds)
    if min(ps) < 0:
        raise ValueError("negative padding")
    if ps[0] * 2 > ks[0] - ks[0] % 2 or ps[1] * 2 > ks[1] - ks[1] % 2:
        raise ValueError("padding should be at most half the kernel size")
    out = tuple(_count_windows(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip((H, W), ks, ss, ps, ds))
    if min(out) < 1:
        raise ValueError(f"output would be {out}")
    return out


def conv2d_param_count(in_channels, out_channels, kernel_size, groups=1, bias=True):
    kh, kw = _two(kernel_size)
    _positive("kernel_size", kh, kw)
    _positive("groups", groups)
    if in_channels % groups != 0 or out_channels % groups != 0:
        raise ValueError("groups must divide the channel counts")
    total = 0
    for _ in range(groups):  # each group: its own (out/g, in/g, kh, kw) block
        total += (out_channels // groups) * (in_channels // groups) * kh * kw
    if bias:
        total += out_channels
    return total


def receptive_field(layers):
    # walk backwards from one output unit: r units of layer l's output come from
    # (r - 1) * s + d * (k - 1) + 1 units of its input
    r = 1
    for k, s, d in reversed(list(layers)):
        r = (r - 1) * s + d * (k - 1) + 1
    return r
