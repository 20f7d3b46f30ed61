"""The case corpus: every test's examples drawn once and persisted, so grading replays them.

A test's examples depend only on what :func:`~grader.corpus.fingerprint.fingerprint` digests
(its suite files and their helpers, the course's seed and budgets, the grader and its
libraries, the device), never on the student: hypothesis, seeded and without a database,
draws the same sequence for every student who passes each case. So the sequence is drawn
once (``grader corpus build`` grades the reference; any grading process that sees a test pass
adds it), written to a data-only file (:mod:`grader.corpus.store`) and replayed: a student
who passes every replayed case gets exactly the verdict the search would give, and at the
first failing case the search runs as it always did, so the counterexample is the one it
shrinks to. Reference answers of those cases are persisted too.

- :mod:`~grader.corpus.fingerprint`: what a corpus was drawn for.
- :mod:`~grader.corpus.store`: the file format, its integrity check, identical round trips.
- :mod:`~grader.corpus.use`: where corpora live, loading them into a grading process and
  storing what it learned.
- :mod:`~grader.corpus.build`: ``grader corpus build``, the release's and the bundle's corpora.
"""
