"""The grader's own errors: faults of the grader or the course, never of a student.

A student's fault never raises: it becomes a test status (``failed``, ``error``, ``timeout``,
``violation``) in the results. What is raised here stops grading and tells the instructor::

    GraderError                 base; the CLI maps it to exit code 2
    ├── CourseError             a course file is broken (names the file, key and expectation)
    │   └── SuiteError          a suite module declares something impossible
    ├── SandboxError            the sandbox itself failed (could not start a worker, ...)
    ├── SubmissionError         the submission path is unusable (absent, unsafe archive, ...)
    └── ReferenceFailure        the reference or an oracle crashed on a generated input
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""

    exit_code = 2


class CourseError(GraderError):
    """A course file (suite, config) is broken."""


class SuiteError(CourseError):
    """A suite declares something the engine cannot run."""


class SandboxError(GraderError):
    """The sandbox could not do its job (not the student's fault)."""


class SubmissionError(GraderError):
    """The submission path cannot be graded at all (missing directory, unsafe archive)."""


class ReferenceFailure(GraderError):
    """The reference solution or an oracle crashed: a bug in the course, not the student."""


__all__ = [
    "CourseError",
    "GraderError",
    "ReferenceFailure",
    "SandboxError",
    "SubmissionError",
    "SuiteError",
]
