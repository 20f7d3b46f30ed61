from __future__ import annotations

from hypothesis import strategies as st

from grader.checks import strategies as gst
from grader.checks.compare import assert_close
from grader.spec import Suite, reference_beside

ref = reference_beside(__file__, "toy.py")
suite = Suite("toy")


@suite.test("relu_backward matches the reference", functions=("relu_backward",), points=2,
            inputs=st.fixed_dictionaries({"z": gst.tensors(gst.shapes(2)), "dout": gst.tensors((1,))}))
def _(student, z, dout):
    assert_close(student.relu_backward(dout, z), ref.relu_backward(dout, z))
