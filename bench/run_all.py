"""Run the quicker benchmarks one after another and print their figures (`make bench`).

The longer ones run on their own: bench_page_views.py (10k import), bench_search.py,
bench_import.py, bench_links.py, bench_files.py and `make bench-load` (60 s load run).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUICK = [
    ["bench_diff.py"],
    ["bench_merge.py"],
    ["bench_editing.py"],
    ["bench_history.py"],
    ["bench_notify.py"],
    ["bench_page_views.py", "--sizes", "1k", "--duration", "10"],
]


def main() -> int:
    failed = 0
    for script, *args in QUICK:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, os.path.join(HERE, script), *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
