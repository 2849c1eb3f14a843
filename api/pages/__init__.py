"""Pages for people: server-rendered HTML over the same library calls as the API.

Signing in puts the API key in a signed, http-only, same-site session cookie (never in a URL);
every page then acts as that key, so the access rules are the library's, as for the API. Forms
that write carry a per-session token (and the cookie is SameSite=strict), so no other site can
make a signed-in browser write. No JavaScript is needed; nothing is fetched from the network.
"""

from mxlims_store.api.pages import (  # noqa: F401  (register their pages on the router)
    ispyb,  # the staff's ISPyB button
    object_page,
    printing,
    shipment_pages,
    writing,
)
from mxlims_store.api.pages.routes import router
from mxlims_store.api.pages.session import install

__all__ = ["install", "router"]
