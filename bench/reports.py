"""``bench/reports.py`` (issue 18): runs bench/report_bench/figures.py, the reports benchmark.

The benchmark's body lives in a folder (so ``make bench``'s ``bench/*.py`` runs it once) and
under another name: a module named ``reports`` would shadow the reports room for mypy
(``mypy .`` excludes this file, which holds no logic).
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("report_bench") / "figures.py"), run_name="__main__")
