"""An autograder for deep-learning courses: sandboxed, property-based, explained.

The public front door; everything else is private to the package::

    from grader import GradeOptions, grade_submission, load_course
    course = load_course("path/to/course")
    result = grade_submission("path/to/submission", course, GradeOptions(only=("iou",)))
"""

from __future__ import annotations

__version__ = "0.1.0"

from grader.course import Course, load_course  # noqa: E402
from grader.errors import CourseError, GraderError, SandboxError, SubmissionError, SuiteError  # noqa: E402
from grader.grading import GradeOptions, grade_submission  # noqa: E402
from grader.results import AssignmentResult, SubmissionResult, TestResult  # noqa: E402

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
