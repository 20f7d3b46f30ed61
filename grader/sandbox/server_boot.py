"""What the fork server does once, at its boot, so every worker forked from it inherits it.

Imported by the server (:data:`grader.sandbox.fork_server.PRELOAD`), never by the grader:
importing it is the boot. Meta-device operations import parts of torch lazily on their
first use; done here, a worker neither pays for them nor meets them after its call tracers
replaced names those imports read (:func:`grader.sandbox.meta.warm_up`).
"""

from __future__ import annotations

import torch.fx.experimental.symbolic_shapes  # noqa: F401  (sympy: meta shapes import it lazily)

from grader.sandbox import dynamo_stub, meta

# multiprocessing's server skips a preload that raises ImportError but dies of anything else,
# and every grading with it: a boot step that fails is left to each worker, as it was before.
try:
    dynamo_stub.install()
    meta.warm_up()
except Exception:  # noqa: BLE001 - the worker warms meta up again and says what fails there
    pass
