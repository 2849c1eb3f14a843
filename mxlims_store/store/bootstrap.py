"""The first start of an empty store: one admin key, written to a file only its owner can read.

Nothing else can create the first key over HTTP (every route needs one), and printing a secret
into a log that others may read is worse than a file with mode 0600 beside the data.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from mxlims_store.errors import Unavailable
from mxlims_store.store.access import local_admin
from mxlims_store.store.store import Store
from mxlims_store.store.store_secret import store_secret

FIRST_KEY_FILE = "first-admin-key.txt"


async def first_admin_key(store: Store, data_dir: Path) -> Path | None:
    """Create the first admin key if the store has no key at all; the file it is in, or None.
    (The store's secret is made here too, so that a later upload on a full disk need not.)"""
    with contextlib.suppress(Unavailable):  # a full disk: made by the first upload instead
        await store_secret(store.db)
    # whoever starts the store on this machine (`init`, `serve`) is its local admin
    admin = store.acting_as(local_admin())
    if await admin.count_keys():
        return None
    created = await admin.create_key(name="first admin", role="admin")
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FIRST_KEY_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(created.key + "\n")
    return path
