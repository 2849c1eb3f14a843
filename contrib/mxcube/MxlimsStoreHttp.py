"""The HTTP calls of contrib/mxcube's MxlimsStoreLims: JSON to and from mxlims-store's API
(under ``/api/v1``), with the key as a bearer token. Only the standard library, so it runs in
any MXCuBE environment; every failure is one :class:`LimsUnavailable` (the LIMS logs it and
never raises it to MXCuBE).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class LimsUnavailable(Exception):
    """The store did not answer as expected (logged, never raised to MXCuBE)."""


def call(
    url: str,
    key: str,
    timeout: float,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
) -> Any:
    """``method`` on ``url``/api/v1``path`` (``query`` without its None values, ``body`` as
    JSON): the answer's JSON, or LimsUnavailable saying what went wrong."""
    address = f"{url}/api/v1{path}"
    if query:
        address += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(address, data=data, headers=headers, method=method)
    # the key goes to the store only: urllib copies other headers to wherever a redirect points
    request.add_unredirected_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        detail = error.read()[:2000].decode("utf-8", "replace")
        raise LimsUnavailable(f"{method} {path}: {error.code} {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LimsUnavailable(f"{method} {path}: {error}") from None
