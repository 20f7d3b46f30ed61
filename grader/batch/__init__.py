"""Grading a whole class: entries, a resumable SQLite store, parallel executors, reports."""

from grader.batch.run import BatchOptions, BatchSummary, run_batch

__all__ = ["BatchOptions", "BatchSummary", "run_batch"]
