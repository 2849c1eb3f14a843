"""The pages' figures: a big shipment's page (drawings and counts; rows come per puck) and its
facility-sheet preview, as a signed-in person's browser asks for them."""

from __future__ import annotations

import time

import httpx

from bench.report import Row
from bench.timing import log, percentile

TIMES = 5  # loads of each page (the median and the bytes are reported)


async def measure_pages(
    base: str, headers: dict[str, str], shipment: str, objects: int
) -> list[Row]:
    key = headers.get("Authorization", "").removeprefix("Bearer ")
    if not key:
        return []
    rows = []
    page_text = ""
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=300) as client:
        page = await client.get("/pages/login")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        await client.post("/pages/login", data={"key": key, "csrf": csrf})
        for key_name, label, path in (
            ("shipment_page", "shipment page", f"/pages/shipments/{shipment}"),
            ("puck_rows", "one puck's rows", None),
            ("sheet_preview", "ESRF sheet preview", f"/pages/shipments/{shipment}/sheet?site=esrf"),
        ):
            if path is None:  # the first puck drawn on the shipment page
                first = page_text.split('data-rows="', 1)[1].split('"', 1)[0]
                path = first.replace("&amp;", "&")
            log(f"pages: GET {path} x{TIMES}")
            seconds, size = [], 0
            for _ in range(TIMES):
                start = time.perf_counter()
                answer = await client.get(path, headers={"Accept-Encoding": "identity"})
                seconds.append(time.perf_counter() - start)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
                size = len(answer.content)
            page_text = answer.text
            rows.append(
                Row("http", f"page_{key_name}", f"{label} of the big shipment (p50)", "pages",
                    percentile(seconds, 50) * 1000, "ms", None, objects,
                    extra={"n": TIMES, "bytes": size})
            )  # fmt: skip
    return rows
