"""The scan page and ``/barcodes/{code}`` find a dewar or puck that has only a name (as the ESRF,
MAX IV, SLS and SOLEIL sheets give them) within the caller's open shipments."""

from __future__ import annotations

from pathlib import Path

import httpx

from mxlims_store.api.main import create_app
from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.conftest import make_settings, running
from tests.mappings.mapping_helpers import fixture


async def test_a_name_only_dewar_is_scanned_on_the_page_and_found_over_http(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(tmp_path))
    data, _ = fixture("esrf")
    async with running(app) as api:
        uploaded = await api.post(
            "/sheets/esrf",
            params={"proposal": "mx2450"},
            content=data,
            headers={"Content-Type": "text/csv"},
        )
        assert uploaded.status_code == 201, uploaded.text
        found = await api.get("/barcodes/MX2450-dewar-A")
        assert found.status_code == 200 and found.json()["mxlimsType"] == "Dewar"
        assert (await api.get("/barcodes/no-such-dewar")).status_code == 404
        key = (app.state.settings.data_dir / FIRST_KEY_FILE).read_text().strip()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as page:
            login = await page.get("/pages/login")
            token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            signed = await page.post("/pages/login", data={"key": key, "csrf": token})
            assert signed.status_code == 303
            form = await page.get("/pages/scan")
            token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            scanned = await page.post(
                "/pages/scan", data={"ref": "ESRF-UNI-12", "state": "shipped", "csrf": token}
            )
            assert scanned.status_code == 200, scanned.text
        where = (await api.get("/barcodes/ESRF-UNI-12")).json()
        events = await api.get(f"/objects/{where['uuid']}/events")
        assert [e["state"] for e in events.json()["events"]] == ["shipped"]
