"""HTTP for connectors: retries with capped, jittered backoff, and respect for rate limits.

Handles HTTP 429 with `Retry-After` (seconds or a date), and the services' own rate-limit
headers (X: `x-rate-limit-*`, Reddit: `x-ratelimit-*`, Mastodon: `X-RateLimit-*`) by waiting
for the reset when the remaining budget is spent. Credentials never reach a log line.
"""
from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from ..timeutil import parse_rfc3339

log = logging.getLogger(__name__)
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


class ApiError(RuntimeError):
    """A request that failed for good (or ran out of retries); `status` 0 means no response."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_s: float = 1.0
    cap_s: float = 60.0
    max_wait_s: float = 900.0  # never sleep longer than this on a rate-limit header

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
        return rng.uniform(0, min(self.cap_s, self.base_s * 2 ** attempt))


def retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds to wait, from Retry-After or a rate-limit reset header, if any says so."""
    value = headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - now) if parsed else None
    remaining = headers.get("x-rate-limit-remaining") or headers.get("x-ratelimit-remaining")
    reset = headers.get("x-rate-limit-reset") or headers.get("x-ratelimit-reset")
    if remaining is None or reset is None or float(remaining) > 0:
        return None
    return _reset_seconds(reset, now)


def _reset_seconds(reset: str, now: float) -> float:
    try:
        number = float(reset)
    except ValueError:  # Mastodon: an ISO 8601 timestamp
        return max(0.0, parse_rfc3339(reset).timestamp() - now)
    # An epoch (X) or a number of seconds from now (Reddit).
    return max(0.0, number - now) if number > 1e9 else number


class HttpClient:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None, *,
                 policy: RetryPolicy = RetryPolicy(), timeout_s: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None,
                 on_status: Callable[[int], None] = lambda s: None,
                 on_wait: Callable[[float], None] = lambda s: None,
                 throttle: Callable[[httpx.Response], float | None] = lambda r: None):
        self._client = httpx.Client(base_url=base_url, headers=headers or {}, timeout=timeout_s,
                                    follow_redirects=True)
        self._policy = policy
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._on_status = on_status
        self._on_wait = on_wait
        # A service that signals throttling its own way (e.g. Graph API error codes in a 400/403).
        self._throttle = throttle

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, httpx.Response]:
        response = self.get(url, params)
        try:
            return response.json(), response
        except ValueError:
            raise ApiError(response.status_code, f"GET {_safe(url)}: response is not JSON") from None

    def get(self, url: str, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> httpx.Response:
        """GET with retries; returns the first good (2xx/304) response or raises ApiError."""
        # None, not {}: httpx replaces a URL's whole query string with the params given, and
        # paging URLs (Graph's paging.next) carry theirs in the URL.
        params = {k: v for k, v in params.items() if v is not None} if params else None
        for attempt in range(self._policy.attempts):
            try:
                response = self._client.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                self._on_status(0)
                self._wait(self._policy.backoff(attempt, self._rng), f"{type(exc).__name__} on GET {_safe(url)}")
                continue
            self._on_status(response.status_code)
            if response.status_code < 400 or response.status_code == 304:
                self._respect_budget(response)
                return response
            throttled = self._throttle(response)
            if throttled is not None:
                self._wait(min(throttled, self._policy.max_wait_s),
                           f"throttled ({response.status_code}) on GET {_safe(url)}")
                continue
            if response.status_code not in TRANSIENT_STATUS:
                raise ApiError(response.status_code, f"GET {_safe(url)} -> {response.status_code}: {_brief(response)}")
            hinted = retry_after(response.headers, time.time())
            policy = self._policy
            delay = min(hinted, policy.max_wait_s) if hinted is not None else policy.backoff(attempt, self._rng)
            self._wait(delay, f"{response.status_code} on GET {_safe(url)}")
        raise ApiError(0, f"GET {_safe(url)}: gave up after {self._policy.attempts} attempts")

    def _respect_budget(self, response: httpx.Response) -> None:
        wait = retry_after(response.headers, time.time())
        if wait:
            self._wait(min(wait, self._policy.max_wait_s), "rate-limit budget spent")

    def _wait(self, seconds: float, why: str) -> None:
        log.warning("%s; waiting %.1fs", why, seconds)
        self._on_wait(seconds)
        self._sleep(seconds)

    def close(self) -> None:
        self._client.close()


def _safe(url: str) -> str:
    """The URL without its query string, which may carry an access token."""
    return str(url).split("?", 1)[0]


def _brief(response: httpx.Response) -> str:
    return response.text[:200].replace("\n", " ")
