"""The web UI: plain static files (HTML, ES modules, CSS) served by trackyard.routes.ui.

Nothing is built at install time: the browser loads the modules in static/js as they are,
and the only third-party code (uPlot) is vendored, pinned, under static/vendor.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
