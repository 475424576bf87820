"""Unit tests of pure modules: no server, no database server, no mlflow.

`pytest tests/unit` (or `pytest -m unit`) checks a change in a second or two, before the
whole suite runs.
"""
