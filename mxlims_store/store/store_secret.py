"""The store's own secret: what makes the uuids it derives for sheets its own.

Kept as one document in the keys collection (the store's other secrets), under an id no API key
can have (key ids are letters and digits only), made once, at ``init`` or a server's first start,
else at the first sheet upload. Two processes making it at once: the first one's stays.
"""

from __future__ import annotations

import secrets
from typing import Any

from mxlims_store.errors import Conflict
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collections import KEYS
from mxlims_store.store.documents import META, now

SECRET_ID = "store-secret"
KEY_DOCUMENTS: dict[str, Any] = {"_id": {"$ne": SECRET_ID}}  # every key, not the secret


async def store_secret(db: Backend) -> str:
    """The store's secret, made now if it has none yet."""
    found = await db.find(KEYS, {"_id": SECRET_ID}, limit=1)
    if found:
        return str(found[0]["secret"])
    document: dict[str, Any] = {
        "_id": SECRET_ID,
        "secret": secrets.token_hex(32),
        "createdAt": now(),
        META: {"revision": 1},
    }
    try:
        await db.commit([Write(KEYS, SECRET_ID, document, None, None)])
    except Conflict:  # another process made it first
        found = await db.find(KEYS, {"_id": SECRET_ID}, limit=1)
        return str(found[0]["secret"])
    return str(document["secret"])
