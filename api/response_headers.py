"""Response headers as the OpenAPI declares them (``responses={...: {"headers": ...}}``)."""

from __future__ import annotations

from typing import Any


def header(description: str, **schema: Any) -> dict[str, Any]:
    """A header the response always carries."""
    return {"description": description, "required": True, "schema": {"type": "string", **schema}}


ETAG = {"ETag": header('the revision of the object, e.g. "3": send it back as If-Match')}
LOCATION = {"Location": header("the URL of what was created")}
DOWNLOAD = {"Content-Disposition": header('`attachment; filename="..."`')}
