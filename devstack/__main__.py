"""``make run``: the whole assistant on its embedded default, on loopback.

Starts the dev tenant (HTTPS, own CA), the llama.cpp server with the bundled GGUF model, runs one
sync through msgraph-sdk, then serves the app on port 3978 with the dev chat page at ``/``.
Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time

from devstack.processes import REPO, run_sync, start_app, start_stack


def main() -> int:
    started = time.monotonic()
    root = REPO / ".local" / "stack"
    port = int(os.environ.get("PORT", "3978"))
    print("starting the dev tenant and the llama.cpp server …", flush=True)
    stack = start_stack(root, REPO / ".local" / "models")
    try:
        print(f"dev tenant: {stack.devtenant.info['url']}  LLM: {stack.llm_url}", flush=True)
        print("syncing SharePoint (dev tenant) …", flush=True)
        print(run_sync(stack.env, root / "logs"), flush=True)
        child, url = start_app(stack.env, root / "logs", port)
        stack.children.append(child)
        env_file = root / "stack.env"
        env_file.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(stack.env.items())))
        print(f"\nassistant ready in {time.monotonic() - started:.0f}s: {url}/  (dev chat page)", flush=True)
        print(f"Teams endpoint: {url}/api/messages   logs: {root / 'logs'}", flush=True)
        print(
            "demo users: anna.schmidt@contoso.dev, ben.carter@contoso.dev, clara.weber@contoso.dev, dana.mueller@contoso.dev",
            flush=True,
        )
        print(
            f"CLI against this stack: set -a; . {env_file.relative_to(REPO)}; set +a; .venv/bin/python app.py …",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(c.alive() for c in stack.children):
            time.sleep(1)
        print("a server stopped; see the logs", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
