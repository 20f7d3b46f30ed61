"""JUnit XML for any CI system: one ``<testsuite>`` per assignment, one ``<testcase>`` per test.

Follows the attributes the common JUnit XSD (Ant's, as read by Jenkins, GitLab and GitHub
reporters) requires: ``testsuite`` has ``name``, ``tests``, ``failures``, ``errors``,
``skipped``, ``time``, ``timestamp``, ``hostname``; ``testcase`` has ``name``, ``classname``,
``time``; ``failure``/``error`` have ``message`` and ``type``. Mapping: failed and violation
are failures, error and timeout errors, and the tests of a missing file are skipped.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.atomic import write_atomically
from grader.formats.feedback import plain
from grader.results import SubmissionResult

# XML 1.0 cannot carry most control characters, which a student's output may hold.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("?", text)


def to_xml(result: SubmissionResult) -> str:
    root = ET.Element("testsuites", name=f"grader {result.mode}: {_clean(result.submission)}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    hostname = socket.gethostname() or "localhost"
    timestamp = (result.graded_at or "1970-01-01T00:00:00")[:19]
    for assignment in result.assignments:
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite = ET.SubElement(root, "testsuite", name=assignment.id, timestamp=timestamp, hostname=hostname)
        for test in assignment.tests:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", name=_clean(test.name), classname=f"grader.{assignment.id}",
                                 time=f"{test.elapsed_s:.3f}")
            text = _clean(plain(test))
            message = _clean(test.message.splitlines()[0] if test.message else test.status)
            if assignment.status == "missing":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_clean(assignment.message or "not submitted"))
            elif test.status in ("failed", "violation"):
                counts["failures"] += 1
                kind = "not_implemented" if not test.is_implemented else test.status
                ET.SubElement(case, "failure", message=message, type=kind).text = text
            elif test.status in ("error", "timeout"):
                counts["errors"] += 1
                ET.SubElement(case, "error", message=message, type=test.status).text = text
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{assignment.elapsed_s:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{result.elapsed_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(result: SubmissionResult, path: str | Path) -> None:
    write_atomically(path, to_xml(result))
