"""Declarative descriptions of assignments and their tests.

A course keeps one suite module per side of the fence:

* ``assignments/<id>/suite.py`` (shipped to students) builds ``suite = Suite(id, student_file=...,
  functions=...)`` and declares the *visible* tests; their oracles are torch builtins and
  invariants, so ``grader check`` runs them without the reference solution.
* ``reference/<id>/suite.py`` (never shipped) builds ``suite = Suite(id)`` and declares the
  *hidden* tests, which may compare with the reference loaded by :func:`reference_beside`.

Visibility follows from where a test is declared, so it cannot drift from what students see.
"""

from __future__ import annotations

from grader.spec.model import AssignmentSpec, TestSpec, Visibility
from grader.spec.suite import Suite, reference_beside, visible_suite_of

__all__ = ["AssignmentSpec", "Suite", "TestSpec", "Visibility", "reference_beside", "visible_suite_of"]
