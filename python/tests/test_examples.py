"""The Python example in the documentation runs as published."""

import re
import subprocess
import sys


def test_the_quickstart_runs_and_reports_both_scores(root, tmp_path):
    done = subprocess.run(
        [sys.executable, str(root / "examples/python/quickstart.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"square spin ice ([0-9.]+), 100-unit ESN ([0-9.]+)", done.stdout)
    assert found, done.stdout
    ice, esn = float(found[1]), float(found[2])
    # The 100-unit ESN learns NARMA10; the loop-encoded square ice, which forgets every field
    # loop, does far worse but still better than predicting the mean.
    assert esn < 0.6 and ice < 1.0, found[0]
