"""MXLIMS messages <-> store-form objects."""

from mxlims_store.messages.reader import ExternalLink, ReadResult, read_message
from mxlims_store.messages.versions import SUPPORTED_VERSIONS
from mxlims_store.messages.writer import TYPE_ORDER, write_message

__all__ = [
    "SUPPORTED_VERSIONS",
    "TYPE_ORDER",
    "ExternalLink",
    "ReadResult",
    "read_message",
    "write_message",
]
