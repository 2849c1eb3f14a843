"""A facility sheet as a request body: raw (what curl and the pages send) or as the ``file``
field of a ``multipart/form-data`` form (what browsers and generated clients send).

The OpenAPI declares the form and ``application/octet-stream``; the other raw types (CSV, TSV,
plain text, XLSX) are accepted alike and named in the description, because a client generator
has no body type for them (openapi-python-client warns of each and skips it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from mxlims_store.api.errors import ApiError

RAW_TYPES = (
    "text/csv",
    "text/tab-separated-values",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
)
FORM = "multipart/form-data"
FILE_FIELD = "file"
SHEET_FILE = "SheetFile"  # the form's schema, in components/schemas (see api.openapi)
SHEET_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": SHEET_FILE,
    "description": "A sheet uploaded as a form",
    "required": [FILE_FIELD],
    "properties": {
        FILE_FIELD: {
            "type": "string",
            "format": "binary",
            "minLength": 1,
            "description": "the sheet: CSV or TSV (UTF-8, any delimiter) or XLSX; its file "
            "name, when given, stands for the `filename` parameter",
        }
    },
}
# An ESRF sheet of one pin (the examples of the site parameters name ESRF too).
EXAMPLE_SHEET = (
    "#parcel name,container name,container type,container position,protein acronym,"
    "sample acronym,pin barcode\n"
    "EX-dewar,EX-UNI-1,Unipuck,1,HEWL,hewl_1,EX-PIN-1\n"
)
SHEET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The filled-in sheet: CSV or TSV (UTF-8, any delimiter) or XLSX, as the "
        f"`{FILE_FIELD}` of a form or as the raw body. A raw body may also be declared "
        + ", ".join(f"`{kind}`" for kind in RAW_TYPES[:-1]),
        "content": {
            FORM: {
                "schema": {"$ref": f"#/components/schemas/{SHEET_FILE}"},
                "example": {FILE_FIELD: EXAMPLE_SHEET},
            },
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary", "minLength": 1},
                "example": EXAMPLE_SHEET,
            },
        },
    }
}


@dataclass(frozen=True)
class SheetUpload:
    data: bytes
    filename: str | None = None  # the form's file name, if it gave one


async def sheet_upload(request: Request) -> SheetUpload:
    """The uploaded sheet; 415 for another body type, 400 when empty or without its field."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == FORM:
        upload = await _form_file(request)
    elif kind in RAW_TYPES:
        upload = SheetUpload(await request.body())
    else:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"send the sheet as a {FORM} field `{FILE_FIELD}`, or raw as one of "
            + ", ".join(RAW_TYPES),
        )
    if not upload.data:
        raise ApiError(400, "EmptyBody", "the request body is empty; expected a sheet")
    return upload


async def _form_file(request: Request) -> SheetUpload:
    # A form that cannot be parsed is Starlette's 400; the temporary files go with the form.
    async with request.form() as form:
        field = form.get(FILE_FIELD)
        if not isinstance(field, UploadFile):
            raise ApiError(
                400, "EmptyBody", f"the form has no file field `{FILE_FIELD}`; expected a sheet"
            )
        return SheetUpload(await field.read(), field.filename or None)


Upload = Annotated[SheetUpload, Depends(sheet_upload)]
