import sys

# Commands that fork workers start the fork server first: it boots (torch, numpy) while this
# process imports torch and loads the course, instead of after (grader.sandbox.fork_server).
_FORKS_WORKERS = {"grade", "check", "batch", "gradescope", "prairielearn", "demo"}
_command = sys.argv[1] if len(sys.argv) > 1 else ""
if _command in _FORKS_WORKERS:
    from grader.sandbox.fork_server import warm

    warm()

from grader.cli import main  # noqa: E402

_code = main()
if _command in _FORKS_WORKERS:
    # A student's check and a platform's run are one cold process each: its end is part of
    # the wait. The fork server is killed rather than left to tear itself down, and this
    # process runs its exit handlers (logging, multiprocessing's temporary folders) and then
    # leaves without tearing down its interpreter (torch's modules, the grading memo): about a
    # second in all. Everything these commands write is written and closed by now (files under
    # ``with`` or by grader.atomic, the batch's database under ``with Store``).
    import atexit
    import os

    from grader.sandbox.fork_server import stop

    stop()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(_code)
raise SystemExit(_code)
