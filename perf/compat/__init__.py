"""The compat panel: popular projects' own suites, run by their own runner and by dbtest.

See docs/compat.md ("The panel") for what it measures and how to run it.
"""
