"""Answers of the ISPyB bridge: what a push wrote, and a pulled ISPyB shipping."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mxlims_store.answers.base import Answer


class IspybPushReport(Answer):
    """What a push into ISPyB did (``dryRun``: what it would do), per ISPyB table."""

    shipment: str = Field(description="the stored shipment's uuid")
    database: str = Field(description="the ISPyB database, its URL without a password")
    proposal: str
    session: int | None = Field(description="BLSession.visit_number, when one was used")
    shipping_id: int | None = Field(description="the ISPyB Shipping row")
    dry_run: bool
    created: dict[str, int] = Field(description="rows created, by ISPyB table")
    updated: dict[str, int] = Field(description="rows changed, by ISPyB table")
    repaired: dict[str, int] = Field(
        description="rows of an interrupted push found again (not written twice), by table"
    )
    retired_barcodes: list[str] = Field(
        description="barcodes taken from the ISPyB rows that held them"
    )
    losses: list[str] = Field(description="what ISPyB cannot hold, per object and field")


class IspybShipping(Answer):
    """ISPyB shippings as one MXLIMS message, and what ISPyB lacks for it (said, not invented)."""

    message: dict[str, Any] = Field(description="an MXLIMS 0.6.13 message (MxlimsMessageStrict)")
    lacks: list[str]
    shipping_ids: list[int]
