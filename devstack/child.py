"""Runs a module or script as a child that exits by itself when its parent process is gone.

``python -m devstack.child PARENT_PID -m llama_cpp.server ARGS...`` or
``python -m devstack.child PARENT_PID app.py serve``. Test runs and ``make run`` start every
server through this, so no server outlives the process that started it (even after ``kill -9``).
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time


def _watch_parent(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        time.sleep(1.0)


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    threading.Thread(target=_watch_parent, args=(int(sys.argv[1]),), daemon=True).start()
    target = sys.argv[2:]
    if target[0] == "-m":
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = target
        sys.path.insert(0, os.path.dirname(os.path.abspath(target[0])))
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main()
