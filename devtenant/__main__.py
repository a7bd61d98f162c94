"""``python -m devtenant --state-dir DIR [--seed DIR] [--host H] [--port P] [--page-size N] [--parent-pid PID]``"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from .config import DEFAULT_SEED_DIR, is_loopback_host
from .manifest import ManifestError
from .server import serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devtenant", description="Local Microsoft 365 stand-in (Entra ID + Graph subset)."
    )
    parser.add_argument(
        "--state-dir", type=Path, required=True, help="where CA, certificates, signing key and devtenant.json live"
    )
    parser.add_argument(
        "--seed",
        type=Path,
        default=DEFAULT_SEED_DIR,
        help="seed directory containing tenant.json (default: devtenant/seed)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    parser.add_argument("--page-size", type=int, default=5, help="default page size of collections")
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not is_loopback_host(args.host):
        print(f"devtenant: --host must be a loopback address, not {args.host!r}", file=sys.stderr)
        return 2
    if args.page_size < 1:
        print("devtenant: --page-size must be >= 1", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.state_dir, args.seed, args.host, args.port, args.page_size, args.parent_pid))
    except ManifestError as exc:
        print(f"devtenant: bad seed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
