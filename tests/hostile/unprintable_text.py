"""Text no output format can take as it is: lone surrogates, undecodable bytes, NULs, ANSI and
OSC escape sequences (clear the screen, set the terminal's title), Rich markup, bidi overrides,
and messages of 10 MB, in exception messages, exception type names, printed output, returned
strings and reprs."""

import sys

import torch

NASTY = ("\udce9 lone surrogate, " + b"\xff\xfe undecodable".decode("utf-8", "surrogateescape")
         + " \x00NUL \x1b[2J\x1b[H cleared \x1b]0;pwned title\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"
         + " [bold red]markup[/] \u202eevil\u202c \r overwritten \x08\x7f\x9b31m")
HUGE = NASTY + "x" * 10_000_000


class Nasty(Exception):
    pass


Nasty.__name__ = "Na\x1b[2Jsty\u202e"
Nasty.__qualname__ = Nasty.__name__


class NastyRepr:
    def __repr__(self):
        return NASTY * 1000

    __str__ = __repr__


print(NASTY)  # at import


def box_area(boxes):
    print(NASTY * 10)
    sys.stderr.write(HUGE)
    raise ValueError(HUGE)


def box_iou(boxes1, boxes2):
    print(HUGE)
    raise Nasty(NASTY)


def generalized_box_iou(boxes1, boxes2):
    return NastyRepr()


def box_convert(boxes, in_fmt, out_fmt):
    return NASTY * 100


def nms(boxes, scores, iou_threshold):
    sys.stdout.write(NASTY)
    return {NASTY: NASTY, "ok": torch.zeros(1)}
