"""What suites use to check a submission: input strategies, comparisons, the test driver."""
