import sys

# Commands that fork workers start the fork server first: it boots (torch, numpy) while this
# process imports torch and loads the course, instead of after (grader.sandbox.fork_server).
if len(sys.argv) > 1 and sys.argv[1] in {"grade", "check", "batch", "gradescope", "prairielearn", "demo"}:
    from grader.sandbox.fork_server import warm

    warm()

from grader.cli import main  # noqa: E402

raise SystemExit(main())
