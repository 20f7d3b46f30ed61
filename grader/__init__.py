"""An autograder for deep-learning courses: sandboxed, property-based, explained.

The public front door; everything else is private to the package::

    from grader import GradeOptions, grade_submission, load_course
    course = load_course("path/to/course")
    result = grade_submission("path/to/submission", course, GradeOptions(only=("iou",)))
"""

from __future__ import annotations

__version__ = "0.1.0"

# The front door's names are imported on first use (PEP 562), so that importing a light part
# of the package (grader.sandbox.fork_server, which ``python -m grader`` starts before anything
# imports torch) does not import the whole engine.
_EXPORTS = {
    "Course": "grader.course", "load_course": "grader.course",
    "CourseError": "grader.errors", "GraderError": "grader.errors", "SandboxError": "grader.errors",
    "SubmissionError": "grader.errors", "SuiteError": "grader.errors",
    "GradeOptions": "grader.grading", "grade_submission": "grader.grading",
    "AssignmentResult": "grader.results", "SubmissionResult": "grader.results", "TestResult": "grader.results",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AssignmentResult",
    "Course",
    "CourseError",
    "GradeOptions",
    "GraderError",
    "SandboxError",
    "SubmissionError",
    "SubmissionResult",
    "SuiteError",
    "TestResult",
    "__version__",
    "grade_submission",
    "load_course",
]
