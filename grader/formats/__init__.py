"""Output formats of results: the grade JSON and the platforms' formats."""
