def pytest_addoption(parser):
    parser.addoption("--submission", action="store", default=".")


import pytest  # noqa: E402


@pytest.fixture
def submission(request):
    return request.config.getoption("--submission")
