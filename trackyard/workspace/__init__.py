"""The trackyard workspace: `trackyard up` runs the tracking server and JupyterLab together.

It lives in its own package so that `trackyard server` never imports anything Jupyter needs:
JupyterLab is an optional extra (`pip install "trackyard[workspace]"`).
"""

from __future__ import annotations

from .command import up

__all__ = ["up"]
