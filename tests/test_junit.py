"""JUnit XML: structure and counts against the JUnit XSD's required attributes; and the platform
output options of ``grade`` and ``check`` run through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from platform_samples import ROOT, pick_assignment, sample_result
from test_classroom import assert_classroom_schema
from test_prairielearn import assert_prairielearn_schema

from grader.cli import main
from grader.formats import junit

# Required attributes, written down from the JUnit XSD (Apache Ant's junit schema, as published in
# windyroad/JUnit-Schema JUnit.xsd and read by Jenkins, GitLab and most CI reporters): testsuite:
# name, tests, failures, errors, time, timestamp, hostname (skipped is read by all of them);
# testcase: name, classname, time; failure and error: type (message optional); skipped: none.
SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"}
CASE_ATTRS = {"name", "classname", "time"}
CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def assert_junit_schema(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        assert SUITE_ATTRS <= set(suite.attrib), SUITE_ATTRS - set(suite.attrib)
        float(suite.get("time"))
        cases = list(suite)
        assert all(c.tag == "testcase" for c in cases)
        counted = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
        for case in cases:
            assert CASE_ATTRS <= set(case.attrib)
            float(case.get("time"))
            children = [child.tag for child in case]
            assert set(children) <= CASE_CHILDREN and len(children) <= 1
            for child in case:
                if child.tag in ("failure", "error"):
                    assert child.get("type")
                counted[{"failure": "failures", "error": "errors", "skipped": "skipped"}[child.tag]] += 1
        for key, value in counted.items():
            assert int(suite.get(key)) == value, (suite.get("name"), key)
            totals[key] += value
    for key, value in totals.items():
        assert int(root.get(key)) == value
    return root


def test_one_testsuite_per_assignment_with_consistent_counts():
    root = assert_junit_schema(junit.to_xml(sample_result()))
    suites = {s.get("name"): s for s in root}
    assert list(suites) == ["iou", "elbo"]
    iou = suites["iou"]
    assert (iou.get("tests"), iou.get("failures"), iou.get("errors"), iou.get("skipped")) == ("6", "3", "2", "0")
    cases = {c.get("name"): c for c in iou}
    assert cases["box_iou matches torchvision"].find("failure").get("type") == "failed"
    assert cases["no autograd"].find("failure").get("type") == "violation"
    assert cases["giou is slow"].find("error").get("type") == "timeout"
    assert "bad? operand" in cases["box_convert raises"].find("error").get("message")   # control character gone
    assert "SECRET_INPUT" not in junit.to_xml(sample_result())
    assert suites["elbo"].get("skipped") == "1"


@pytest.fixture(scope="module")
def stub_outputs(tmp_path_factory):
    """`grader check` on the stubs with every platform option, and `grade` with --junit."""
    tmp = tmp_path_factory.mktemp("outputs")
    assignment_id, _ = pick_assignment()
    stubs = str(ROOT / "assignments" / assignment_id)
    check_code = main(["check", stubs, "--only", assignment_id, "--course", str(ROOT), "--fail-under", "50",
                       "--junit", str(tmp / "check.xml"), "--classroom", str(tmp / "classroom.json"),
                       "--prairielearn", str(tmp / "pl.json")])
    grade_code = main(["grade", stubs, "--only", assignment_id, "--course", str(ROOT), "--quiet",
                       "--junit", str(tmp / "grade.xml")])
    return tmp, assignment_id, check_code, grade_code


def test_check_and_grade_write_every_platform_format(stub_outputs):
    tmp, assignment_id, check_code, grade_code = stub_outputs
    assert check_code == 1 and grade_code == 0              # stubs score 0: below --fail-under 50
    for name in ("check.xml", "grade.xml"):
        root = assert_junit_schema((tmp / name).read_text())
        assert [s.get("name") for s in root] == [assignment_id]
        assert int(root.get("failures")) == int(root.get("tests")) > 0   # every stub test fails
    assert int(ET.parse(tmp / "grade.xml").getroot().get("tests")) > int(ET.parse(tmp / "check.xml").getroot()
                                                                             .get("tests"))   # hidden tests too
    classroom = json.loads((tmp / "classroom.json").read_text())
    assert_classroom_schema(classroom)
    assert classroom["status"] == "fail" and classroom["max_score"] == pytest.approx(12.5)
    prairielearn = json.loads((tmp / "pl.json").read_text())
    assert_prairielearn_schema(prairielearn)
    assert prairielearn["score"] == 0 and prairielearn["gradable"] is True
