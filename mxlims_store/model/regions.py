"""Geometry and images of MXLIMS 0.6.13: where in a drop (image or plate coordinates) a crystal is.

A `Region` is one of Point, Circle, Line, Rectangle, Polygon, told apart by ``regionType``. An
`ImageRegion` places it on a `DropImage`; a `PlateRegion` uses the plate's fiducial coordinates.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from mxlims_store.model.basic_types import AwareDatetime, HttpUrl, PositiveFloat, StrictModel
from mxlims_store.model.enums import ImageLightType, ImageMimeType, ImageRegionUnit, PlateRegionUnit


class Point(StrictModel):
    regionType: Literal["point"]
    x: float
    y: float


class Circle(StrictModel):
    regionType: Literal["circle"]
    center: Point
    radius: PositiveFloat


class Line(StrictModel):
    regionType: Literal["line"]
    points: Annotated[list[Point], Field(min_length=2, max_length=2)]


class Rectangle(StrictModel):
    """Two opposite corners. The standard leaves Rectangle open to extra keys, so they are kept."""

    model_config = ConfigDict(extra="allow")

    regionType: Literal["rectangle"]
    points: Annotated[list[Point], Field(min_length=2, max_length=2)]


class Polygon(StrictModel):
    regionType: Literal["polygon"]
    points: Annotated[list[Point], Field(min_length=3)]


# The regionType constants are distinct, so a tagged union is exactly the standard's oneOf.
Region = Annotated[Point | Circle | Line | Rectangle | Polygon, Field(discriminator="regionType")]


class DropImage(StrictModel):
    """An image of a drop, either inline (``data``) or by reference (``url``), never both."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["data"]}, {"required": ["url"]}]}
    )

    mimeType: ImageMimeType
    lightType: ImageLightType | None = None
    timestamp: AwareDatetime | None = None
    data: str | None = None
    """The image itself, encoded as text."""
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.data is None) == (self.url is None):
            raise ValueError("a DropImage needs exactly one of 'data' and 'url'")
        return self


class ImageRegion(StrictModel):
    """A region in the coordinates of a drop image."""

    region: Region
    image: DropImage
    units: ImageRegionUnit


class PlateRegion(StrictModel):
    """A region in plate coordinates (plates with fiducial marks and a clear origin)."""

    region: Region
    units: PlateRegionUnit


__all__ = [
    "Circle",
    "DropImage",
    "ImageRegion",
    "Line",
    "PlateRegion",
    "Point",
    "Polygon",
    "Rectangle",
    "Region",
]
