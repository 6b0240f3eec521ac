"""``python -m pipelines``: see :mod:`pipelines.cli`."""

import sys

from pipelines.cli import main

# Line-buffered output also when redirected to a file or a pipe (nohup, tee, CI logs), so that a
# long stage's progress lines appear as they are printed rather than in blocks of 8 KiB.
if __name__ == "__main__":  # not when a spawned worker process imports this module
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    sys.exit(main())
