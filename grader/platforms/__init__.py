"""Running the grader where students submit: Gradescope's runner and upload bundle, the
PrairieLearn runner, and the files they need (``templates/``)."""
