"""One route module per resource; each exposes ``router``. ``ROUTERS`` are served under the
API's version prefix (:data:`API_PREFIX`); ``ROOT_ROUTERS`` at the root."""

from mxlims_store.api.params import (
    API_PREFIX as API_PREFIX,  # one definition, beside the URL helpers
)
from mxlims_store.api.routes import (
    facility,
    health,
    history,
    ispyb,
    keys,
    logistics,
    messages,
    navigation,
    objects,
    schemas,
    sheets,
    shipments,
)

ROOT_ROUTERS = [health.router]
ROUTERS = [
    messages.router,
    objects.router,
    navigation.router,
    history.router,
    shipments.router,
    sheets.router,
    facility.router,
    schemas.router,
    health.stats_router,
    keys.router,
    logistics.router,
    ispyb.router,
]
