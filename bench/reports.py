"""``bench/reports.py`` (issue 18): runs bench/report_figures.py, the reports benchmark.

The benchmark itself lives under another name because a module named ``reports`` here
would shadow the reports room for mypy (``mypy .`` excludes this file, which has no logic).
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("report_figures.py")), run_name="__main__")
