"""Statistical checks for random initialisations, each with a stated false-fail probability.

Random draws are never compared with a reference's draws: a correct submission may sample
in another way (``randn * std``, ``normal_``, ``rand * 2b - b``, ``uniform_``, float64 then
cast), so only the *distribution* is checked. Every check below fails a correct
implementation with probability at most ``P_CHECK`` (one side of one statistic), derived
from the sampling distribution (not from a simulation):

| statistic (n iid draws)  | normal N(0, s^2)                    | uniform U(-b, b), s^2 = b^2/3          |
|--------------------------|-------------------------------------|----------------------------------------|
| mean                     | exactly N(0, s^2/n): z s / sqrt(n)  | Hoeffding: b sqrt(2 ln(2/p) / n)       |
| m2 = mean(w^2) (mean 0)  | chi2_n / n: Laurent-Massart (2000)  | w^2 in [0, b^2]: Hoeffding             |
| kurtosis m4 / m2^2       | m4 lower tail (w^4 >= 0, Maurer)    | w^4 in [0, b^4]: Hoeffding             |
| support                  | -                                   | P(max w < b(1-d)) = (1-d/2)^n          |

A test that checks k samples therefore fails a correct submission with probability at most
``k * CHECKS_PER_SAMPLE * P_CHECK`` (union bound); every test keeps that below 1e-6.
"""

from __future__ import annotations

import math

import torch

from grader.checks.compare import check

P_CHECK = 2e-8  # false-fail probability of one side of one statistic
T_CHECK = math.log(1.0 / P_CHECK)  # 17.73: the exponent in the exponential tail bounds
# Two-sided normal quantile with P(|Z| > z) <= P_CHECK: 2*Phi(-5.73) = 1.0e-8.
Z_CHECK = 5.73
# mean (2 sides, counted once as a two-sided bound), m2 (2 sides), m4 (1 side),
# support (max and min): 6 one-sided events per sample at most.
CHECKS_PER_SAMPLE = 6
KURTOSIS_SPLIT = 2.4  # between 3 (normal) and 1.8 (uniform)
# float32 rounding of a sample scaled by a bound computed in float64: a few ulps at most.
BOUND_SLACK = 1e-6


def kurtosis_envelope(n: int) -> tuple[float, float]:
    """(lowest sample kurtosis of n normal draws, highest of n uniform draws), each w.p. >= 1 - 2 P_CHECK.

    Normal: m4 >= 3 s^4 - s^4 sqrt(2 * 105 * t / n) (lower tail of a mean of non-negative
    variables, P <= exp(-n eps^2 / (2 E[X^2])), Maurer 2003) and m2 <= s^2 (1 + 2 sqrt(t/n) + 2t/n)
    (Laurent-Massart), so m4/m2^2 is at least their ratio.
    Uniform (s^2 = b^2/3, b^4 = 9 s^4): m4 <= 1.8 s^4 + 9 s^4 sqrt(ln(2/p)/(2n)) and
    m2 >= s^2 (1 - 3 sqrt(ln(2/p)/(2n))) (Hoeffding on bounded variables).
    """
    t = T_CHECK
    normal_m4 = 3.0 - math.sqrt(2.0 * 105.0 * t / n)
    normal_m2 = 1.0 + 2.0 * math.sqrt(t / n) + 2.0 * t / n
    h = math.sqrt(math.log(2.0 / P_CHECK) / (2.0 * n))
    uniform_m4 = 1.8 + 9.0 * h
    uniform_m2 = 1.0 - 3.0 * h
    return normal_m4 / normal_m2**2, uniform_m4 / uniform_m2**2


def check_sample(
    w: torch.Tensor, *, kind: str, std: float | None = None, bound: float | None = None, label: str
) -> None:
    """``w`` looks like iid draws of N(0, std^2) (kind "normal") or U(-bound, bound) ("uniform")."""
    v = w.detach().to("cpu", torch.float64).flatten()
    n = v.numel()
    low_k, high_k = kurtosis_envelope(n)
    if not high_k < KURTOSIS_SPLIT < low_k:  # a course error: the sample is too small to tell
        raise RuntimeError(f"sample of {n} draws is too small for the kurtosis check ({high_k}, {low_k})")
    t = T_CHECK
    mean = float(v.mean())
    m2 = float(v.square().mean())
    m4 = float(v.pow(4).mean())
    kurt = m4 / m2**2 if m2 > 0 else float("nan")
    if kind == "normal":
        assert std is not None
        var = std**2
        mean_tol = Z_CHECK * std / math.sqrt(n)
        m2_lo = var * (1.0 - 2.0 * math.sqrt(t / n))
        m2_hi = var * (1.0 + 2.0 * math.sqrt(t / n) + 2.0 * t / n)
    else:
        assert bound is not None
        var = bound**2 / 3.0
        mean_tol = bound * math.sqrt(2.0 * math.log(2.0 / P_CHECK) / n)
        h = bound**2 * math.sqrt(math.log(2.0 / P_CHECK) / (2.0 * n))
        m2_lo, m2_hi = var - h, var + h
    what = f"{label}: {n} draws"
    check(math.isfinite(mean) and math.isfinite(m2), f"{what} contain NaN or Inf")
    check(
        abs(mean) <= mean_tol,
        f"{what} have mean {mean:.4g}; a zero-mean init gives |mean| <= {mean_tol:.3g} "
        f"(false-fail probability {P_CHECK:g})",
    )
    check(
        m2_lo <= m2 <= m2_hi,
        f"{what} have variance (mean of w^2) {m2:.5g}, expected {var:.5g} "
        f"(accepted [{m2_lo:.5g}, {m2_hi:.5g}], false-fail probability {2 * P_CHECK:g}); "
        f"that is {m2 / var:.3f} times the expected variance",
    )
    if kind == "normal":
        check(
            kurt > KURTOSIS_SPLIT,
            f"{what} have kurtosis {kurt:.3f}: the draws look uniform, not normal "
            f"(normal: 3, uniform: 1.8; a normal sample stays above {low_k:.2f} "
            f"except with probability {2 * P_CHECK:g})",
        )
    else:
        check(
            kurt < KURTOSIS_SPLIT,
            f"{what} have kurtosis {kurt:.3f}: the draws look normal, not uniform "
            f"(uniform: 1.8, normal: 3; a uniform sample stays below {high_k:.2f} "
            f"except with probability {2 * P_CHECK:g})",
        )
        top, bottom = float(v.max()), float(v.min())
        limit = bound * (1.0 + BOUND_SLACK)
        check(max(top, -bottom) <= limit, f"{what} reach {max(top, -bottom):.6g}, outside the bound +-{bound:.6g}")
        # P(max < b(1 - d)) = (1 - d/2)^n <= exp(-n d / 2) = P_CHECK  =>  d = 2 t / n
        d = 2.0 * t / n
        check(
            top >= bound * (1.0 - d) and -bottom >= bound * (1.0 - d),
            f"{what} span [{bottom:.6g}, {top:.6g}]; U(-b, b) with b = {bound:.6g} reaches within "
            f"{d:.1e}*b of both ends (false-fail probability {2 * P_CHECK:g})",
        )
