"""The one place where the billing-tool connectors talk HTTP.

Pure Python (requests, no Odoo). Timeouts are always set; connection errors,
timeouts and 5xx are retried with exponential backoff (GET only: the APIs
have no idempotency keys); 429 waits as long as the provider says; 401/403
fail at once with a clear error and no retry loop. Secrets never appear in
logs or error messages: only the method, the path and the status do.
"""

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

_logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30

# ApiError.kind values
AUTH = "auth"  # bad, expired or revoked credentials; missing scope
RATE_LIMITED = "rate_limited"  # still limited after the allowed waits, or daily quota
SERVER = "server"  # 5xx after the retries
NETWORK = "network"  # connection error or timeout after the retries
BAD_RESPONSE = "bad_response"  # not JSON, or not the documented shape
CLIENT = "client"  # other 4xx (bad request, not found, …)
GONE = "gone"  # Pennylane: changelog checkpoint older than the retention


class ApiError(Exception):
    def __init__(self, kind, message, status=None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.message = message


@dataclass
class RetryPolicy:
    max_retries: int = 3
    backoff: float = 1.0  # seconds, doubled at each retry
    max_wait: float = 60.0  # never wait longer than this for a 429
    max_rate_limit_waits: int = 5


class HttpClient:
    """A requests session with the retry rules above.

    ``rate_limit_wait(response)`` is given by each provider: how many seconds
    a 429 asks to wait, or None when retrying is pointless (daily quota).
    ``sleep`` is injectable so that tests do not wait for real.
    """

    def __init__(
        self, policy=None, sleep=time.sleep, session=None, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
    ):
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.session = session or requests.Session()
        self.request_count = 0

    def request(
        self,
        method,
        url,
        *,
        params=None,
        data=None,
        headers=None,
        rate_limit_wait=None,
        expect_json=True,
    ):
        path = urlsplit(url).path
        attempt = 0
        rate_waits = 0
        while True:
            attempt += 1
            self.request_count += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if method == "GET" and attempt <= self.policy.max_retries:
                    self._backoff(attempt, f"{method} {path}: {type(error).__name__}")
                    continue
                raise ApiError(NETWORK, f"{method} {path}: {type(error).__name__}") from error
            status = response.status_code
            if status == 429:
                wait = rate_limit_wait(response) if rate_limit_wait else self.policy.backoff
                rate_waits += 1
                if wait is None or rate_waits > self.policy.max_rate_limit_waits:
                    raise ApiError(
                        RATE_LIMITED, f"{method} {path}: rate limited ({_short(response)})", 429
                    )
                self.sleep(min(wait, self.policy.max_wait))
                continue
            if status >= 500:
                if method == "GET" and attempt <= self.policy.max_retries:
                    self._backoff(attempt, f"{method} {path}: HTTP {status}")
                    continue
                raise ApiError(
                    SERVER, f"{method} {path}: HTTP {status} ({_short(response)})", status
                )
            if status in (401, 403):
                raise ApiError(AUTH, f"{method} {path}: HTTP {status} ({_short(response)})", status)
            if status >= 400:
                kind = GONE if status == 422 and "changelogs" in path else CLIENT
                raise ApiError(kind, f"{method} {path}: HTTP {status} ({_short(response)})", status)
            if not expect_json:
                return response
            try:
                return response.json()
            except (ValueError, json.JSONDecodeError) as error:
                raise ApiError(
                    BAD_RESPONSE, f"{method} {path}: the response is not JSON"
                ) from error

    def _backoff(self, attempt, reason):
        wait = self.policy.backoff * 2 ** (attempt - 1)
        _logger.info("%s, retry %s in %.1f s", reason, attempt, wait)
        self.sleep(wait)


def _short(response):
    """The error text of a response, shortened, for messages (no headers)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:200]
    return str(body)[:200]
