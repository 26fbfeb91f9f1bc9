"""`spillover`: the command line. Each command lives in its own module with register() and run()."""
from __future__ import annotations

import argparse
import sys

from ..kafka_refusals import EXIT_REFUSED, CredentialsRefused
from . import (
    broker_cmd,
    connect_cmd,
    demo_cmd,
    evaluate_cmd,
    incidents_cmd,
    model_cmd,
    replay_cmd,
    simulate_cmd,
    worker_cmd,
)
from .common import EXIT_FAILURE, fail

COMMANDS = (demo_cmd, replay_cmd, worker_cmd, connect_cmd, incidents_cmd, broker_cmd, model_cmd, simulate_cmd,
            evaluate_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spillover",
        description="Early warning for social-media crises that spread from one platform to the next.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except CredentialsRefused as exc:  # for a supervisor to start it again with the current ones
        return fail(str(exc), EXIT_REFUSED)
    except (ValueError, OSError, RuntimeError, LookupError) as exc:
        return fail(str(exc), EXIT_FAILURE)


if __name__ == "__main__":
    sys.exit(main())
