"""Output sizes and parameter counts of convolution layers, with torch's exact semantics.

Conventions (these win over the lecture notes):

* ``kernel_size``, ``stride``, ``padding``, ``dilation`` and ``output_padding`` are each an
  ``int`` (the same value for height and width) or a pair ``(h, w)``; ``input_hw`` is a pair
  ``(H, W)``.
* Output shapes are pairs of plain Python ints ``(h, w)`` (a tuple; a list of two ints is
  accepted too). Never a tensor, a float or a numpy integer.
* ``padding`` P is added on BOTH sides (so ``H + 2P``), and the formulas use the dilated kernel
  extent ``D(K - 1) + 1``. Division rounds DOWN (floor), not toward zero.
* Every function raises ``ValueError`` wherever the corresponding torch module refuses the
  arguments: K, S, D or groups < 1, negative padding, an output size < 1, and the cases listed
  in each docstring.
"""

from __future__ import annotations

from collections.abc import Sequence

IntOrPair = int | Sequence[int]


def conv2d_output_shape(input_hw: Sequence[int], kernel_size: IntOrPair, stride: IntOrPair = 1,
                        padding: IntOrPair = 0, dilation: IntOrPair = 1) -> tuple[int, int]:
    """Output ``(h, w)`` of ``torch.nn.Conv2d``, per dimension
    ``floor((H + 2P - D(K-1) - 1) / S) + 1``.

    Raises:
        ValueError: if K, S or D < 1, P < 0, or a result < 1.
    """
    raise NotImplementedError


def conv_transpose2d_output_shape(input_hw: Sequence[int], kernel_size: IntOrPair, stride: IntOrPair = 1,
                                  padding: IntOrPair = 0, output_padding: IntOrPair = 0,
                                  dilation: IntOrPair = 1) -> tuple[int, int]:
    """Output ``(h, w)`` of ``torch.nn.ConvTranspose2d``, per dimension
    ``(H - 1) S - 2P + D(K-1) + output_padding + 1``.

    Raises:
        ValueError: if K, S or D < 1, P < 0, output_padding >= max(S, D) (per dimension), or a
            result < 1.
    """
    raise NotImplementedError


def pool2d_output_shape(input_hw: Sequence[int], kernel_size: IntOrPair, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0, dilation: IntOrPair = 1,
                        ceil_mode: bool = False) -> tuple[int, int]:
    """Output ``(h, w)`` of ``torch.nn.MaxPool2d``.

    ``stride`` defaults to ``kernel_size``. Without ceil_mode it is the conv2d formula. With
    ceil_mode the division rounds up, ``ceil((H + 2P - D(K-1) - 1) / S) + 1``, but the last
    window must start inside the input or its left padding: if ``(out - 1) * S >= H + P``,
    that window is dropped (out - 1).

    Raises:
        ValueError: if K, S or D < 1, P < 0, padding > kernel_size // 2 (per dimension, the
            undilated kernel), or a result < 1.
    """
    raise NotImplementedError


def conv2d_param_count(in_channels: int, out_channels: int, kernel_size: IntOrPair, groups: int = 1,
                       bias: bool = True) -> int:
    """Number of parameters of ``torch.nn.Conv2d(in_channels, out_channels, kernel_size,
    groups=groups, bias=bias)``: the weight is ``(out, in / groups, kh, kw)``, plus ``out``
    biases when ``bias``. Returns a Python int.

    Raises:
        ValueError: if K < 1, groups < 1, or groups does not divide both channel counts.
    """
    raise NotImplementedError


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Receptive field, in input pixels, of one output unit of a stack of layers.

    Args:
        layers: ``(kernel, stride, dilation)`` ints per layer, input side first.

    Returns:
        ``1 + sum_l d_l (k_l - 1) prod_{i<l} s_i`` as a Python int (1 for no layers).
    """
    raise NotImplementedError
