"""Runs the llama.cpp server (llama-cpp-python) and exits when the parent process is gone.

``python -m devstack.llm_server --parent-pid PID -- <llama_cpp.server arguments>``
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
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--parent-pid":
        threading.Thread(target=_watch_parent, args=(int(args[1]),), daemon=True).start()
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    sys.argv = ["llama_cpp.server", *args]
    runpy.run_module("llama_cpp.server", run_name="__main__")


if __name__ == "__main__":
    main()
