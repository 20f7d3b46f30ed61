"""Rendering results for people: the terminal summary and the HTML reports."""
