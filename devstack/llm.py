"""The embedded LLM on its own: ``python -m devstack.llm --port 8080`` (or ``make llm``).

Runs the llama.cpp server (``llama-cpp-python[server]``) with the bundled GGUF model and the
chat format of the ``embedded`` LLM profile (``settings.LLM_PROFILES``), in the foreground until
Ctrl-C. Point the app at it with the same profile and it behaves exactly as ``make run``::

    python -m devstack.llm --port 8080 &
    TGI_URL=http://127.0.0.1:8080 LLM_PROFILE=embedded python app.py serve
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from devstack.processes import REPO, llama_server_args, model_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.llm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for inference (default 2)")
    parser.add_argument(
        "--models-dir", type=Path, default=REPO / ".local" / "models", help="where the GGUF file is assembled"
    )
    args = parser.parse_args(argv)
    model = model_path(args.models_dir)
    command = [sys.executable, "-m", "llama_cpp.server", *llama_server_args(model, args.host, args.port, args.threads)]
    print(f"llama.cpp server with {model.name} on http://{args.host}:{args.port}  (TGI_URL for the app)", flush=True)
    os.execv(sys.executable, command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
