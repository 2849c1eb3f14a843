"""One route module per resource; each exposes ``router``."""

from api.routes import (
    facility,
    health,
    history,
    keys,
    logistics,
    messages,
    navigation,
    objects,
    schemas,
    sheets,
    shipments,
)

ROUTERS = [
    messages.router,
    objects.router,
    navigation.router,
    history.router,
    shipments.router,
    sheets.router,
    facility.router,
    schemas.router,
    health.router,
    keys.router,
    logistics.router,
]
