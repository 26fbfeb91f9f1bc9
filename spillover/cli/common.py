"""Options every command shares, and turning them into Settings."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from datetime import datetime, timezone

from ..settings import Settings, load_settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_BROKER = 0, 1, 2, 3


def more_than_zero(kind: type = float):
    """An argparse type: a number of `kind` above 0 (a count, a duration, a rate)."""
    return _number(kind, lambda value: value > 0, "more than 0")


def _number(kind: type, holds, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not holds(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
        return value
    return parse


# An argparse type: a number of 0 or more.
not_negative = _number(float, lambda value: value >= 0, "0 or more")


def add_common(parser: argparse.ArgumentParser, broker: bool = True) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML config file (also SPILLOVER_CONFIG)")
    parser.add_argument("--watchlist", metavar="FILE", help="brand watchlist YAML (also SPILLOVER_WATCHLIST)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="log verbosity")
    if broker:
        parser.add_argument("--broker", metavar="HOST:PORT",
                            help="Kafka bootstrap servers, comma separated (also SPILLOVER_BROKER)")


def settings_from(args: argparse.Namespace, **extra: object) -> Settings:
    overrides = {
        "kafka.broker": getattr(args, "broker", None),
        "app.watchlist": getattr(args, "watchlist", None),
        "app.log_level": getattr(args, "log_level", None),
        **extra,
    }
    return load_settings(overrides, config_file=getattr(args, "config", None))


LOG_FORMATS = ("text", "json")
SHOWN_BRANDS = 8  # brands named on one line of stderr


def setup_logging(level: str, log_format: str = "text") -> None:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"app.log_format: {log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines() if log_format == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level.upper())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # The Kafka clients' errors always reach the loggers' handlers, whatever is printed: that
    # is where Refusals (kafka_refusals.py) learns that Kafka refuses our credentials.
    for noisy in ("kafka", "aiokafka", "faust", "mode"):
        logging.getLogger(noisy).setLevel(min(logging.ERROR, max(logging.WARNING, logging.getLogger().level)))
    logging.getLogger("kafka.cluster").addFilter(_busy_producer_refresh)
    # httpx logs every request URL at INFO, and paging URLs can carry access tokens.
    for leaky in ("httpx", "httpcore"):
        logging.getLogger(leaky).setLevel(logging.WARNING)


class _JsonLines(logging.Formatter):
    """One JSON object per record and line: a traceback stays inside its record."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _busy_producer_refresh(record: logging.LogRecord) -> bool:
    """False for kafka-python's "No node available for metadata refresh" warning. Our producers
    keep one request in flight per connection (ordered per key), and while that one is out
    kafka-python counts the connection as unavailable and puts its refresh off: it says so as a
    warning at every burst of sends (every demo), though nothing is wrong. A broker that is
    really gone still shows, as connection errors and failed sends."""
    return not record.getMessage().startswith("No node available for metadata refresh")


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    """Say why the command gives up, whatever `app.log_level` lets through: an exit code
    without its reason leaves an operator guessing."""
    say(message, logging.ERROR, prefix="spillover: error: ")
    return code


def say(message: str, level: int = logging.INFO, prefix: str = "") -> None:
    """A command's own word on stderr (what it did, what it skipped, why it gave up), whatever
    `app.log_level` lets through: a plain line, or with `app.log_format: json` a record like
    every other line there, since a log collector reads JSON lines only."""
    handlers = json_handlers()
    if not handlers:
        print(prefix + message, file=sys.stderr)
    record = logging.LogRecord("spillover", level, __file__, 0, message, (), None)
    for handler in handlers:
        handler.handle(record)  # past the level check, which loggers make before handing it over


def watchlist_for(path: str, lines: list[bytes], command: str):
    """The watchlist at `path`; without one, the brands the input's `brand` fields name, said on
    stderr, since its posts without `brand` are attributed by them."""
    from ..implied_watchlist import implied_watchlist
    from ..watchlist import Watchlist

    if path:
        return Watchlist.load(path)
    watchlist = implied_watchlist(lines)
    names = [b.name for b in watchlist.brands]
    if names:
        shown = ", ".join(names[:SHOWN_BRANDS]) + (f" and {len(names) - SHOWN_BRANDS} more" if
                                                    len(names) > SHOWN_BRANDS else "")
        say(f"{command}: no --watchlist; watching the brands the input's posts name: {shown}")
        logging.getLogger("spillover").info("%s: implied watchlist: %s", command, watchlist.describe())
    return watchlist


def json_handlers() -> list[logging.Handler]:
    """The root logger's handlers that write JSON lines (`app.log_format: json`)."""
    return [h for h in logging.getLogger().handlers if isinstance(h.formatter, _JsonLines)]


def interrupt_on_sigterm() -> None:
    """Take SIGTERM (Kubernetes, `timeout`, a CI job cancelled) as Ctrl-C: the command unwinds
    and stops what it started. Python's default dies at once, and the workers and broker it
    started would go on running, orphaned. Call it before starting any of them."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt
