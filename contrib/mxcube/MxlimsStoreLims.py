"""An MXCuBE LIMS that speaks MXLIMS: mxcubecore's ``AbstractLims`` over mxlims-store's HTTP API.

Configuration (the hardware object's properties, XML or YAML)::

    url           http://lims.example.org:8000   (the store; the API is under /api/v1)
    api_key       mxk.<id>.<secret>    or  api_key_file  /path/to/a/file/holding/it
                  (or the MXLIMS_STORE_KEY environment variable)
    beamline      ID23-1   (optional: else the key's own beamline, else MXCuBE's)
    proposal      mx1234   (optional: a staff key's proposal when none is chosen at login)
    only_loaded   True     (get_samples lists pucks at this beamline only; False: every pin)
    timeout       10       (seconds per request)

What it does, in MXLIMS terms:

- ``login``/``echo``/user names: the key is the credential (``GET /me`` says whose it is);
  ``get_proposals_by_user``: the key's proposals.
- ``get_samples``: ``GET /proposals/{code}/samples`` (``sampleId``, ``crystalId`` and
  ``diffractionPlanId`` are the store's stable integers), without the uuids MXCuBE does not know.
- ``store_data_collection``/``update_data_collection``/``finalize_data_collection``: an
  MxExperiment on the pin (``Running``, then ``Completed`` or ``Failed``) and, when the
  collection ends, its CollectionSweep with the scans, sent as MXLIMS messages merged by uuid
  (uuid1, as MXCuBE makes them). ``collection_id`` is the experiment's store number.
- ``store_robot_action``: ``LOAD`` and ``UNLOAD`` become ``mounted``/``unmounted`` events of
  the pin.

Everything else (energy scans, XRF spectra, images, workflows, beamline set-ups) has no place
in the store yet: those methods log that and return what MXCuBE takes for "not stored". No
method raises: a LIMS that is down must not stop a beamline.

Only the standard library is used, so the class runs in any MXCuBE environment. Install the
three files of this folder together in one of MXCuBE's hardware-object folders:
``MxlimsStoreLims.py`` (this class), ``MxlimsStoreHttp.py`` (the calls to the store) and
``MxlimsStoreCollections.py`` (MXCuBE's collection dictionary as an MXLIMS message).
"""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.parse
import uuid
from typing import Any

from mxcubecore.HardwareObjects.abstract.AbstractLims import AbstractLims
from mxcubecore.model.lims_session import Lims, LimsUser, Session
from MxlimsStoreCollections import FAILED, as_int, collection_message
from MxlimsStoreHttp import LimsUnavailable, call

log = logging.getLogger("HWR")

SAMPLE_KEYS = (
    "containerCode",
    "containerSampleChangerLocation",
    "crystalId",
    "crystalSpaceGroup",
    "diffractionPlan",
    "proteinAcronym",
    "sampleId",
    "sampleLocation",
    "sampleName",
)


class MxlimsStoreLims(AbstractLims):
    """MXCuBE's LIMS over mxlims-store."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.url = ""
        self.key = ""
        self.timeout = 10.0
        self.identity: dict[str, Any] = {}
        self.samples: list[dict[str, Any]] = []
        self._pins: dict[int, str] = {}  # sampleId -> the pin's uuid
        self._collections: dict[int, dict[str, Any]] = {}  # collection_id -> what was sent

    # -- set-up and transport ------------------------------------------------------------------

    def init(self) -> None:
        self.url = str(self.get_property("url", "http://127.0.0.1:8000")).rstrip("/")
        self.key = self._configured_key()
        self.timeout = float(self.get_property("timeout", 10))
        with contextlib.suppress(Exception):  # outside a full MXCuBE there is no beamline
            super().init()  # MXCuBE's beamline name
        configured = self.get_property("beamline")
        if configured:
            self.beamline_name = str(configured)

    def _configured_key(self) -> str:
        key = self.get_property("api_key")
        path = self.get_property("api_key_file")
        if not key and path:
            try:
                with open(path, encoding="utf-8") as file:
                    key = file.read().strip()
            except OSError as error:
                log.error("mxlims-store: cannot read api_key_file %s: %s", path, error)
        return str(key or os.environ.get("MXLIMS_STORE_KEY", "")).strip()

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        return call(self.url, self.key, self.timeout, method, path, body, query)

    def _whoami(self) -> dict[str, Any]:
        if not self.identity:
            self.identity = self._call("GET", "/me")
            if not self.get_property("beamline") and self.identity.get("beamline"):
                self.beamline_name = self.identity["beamline"]
        return self.identity

    # -- who and what ----------------------------------------------------------------------------

    def get_lims_name(self) -> list[Lims]:
        return [Lims(name="mxlims-store", description="mxlims-store: a LIMS speaking MXLIMS")]

    def get_user_name(self) -> str:
        try:
            return str(self._whoami()["name"])
        except LimsUnavailable as error:
            log.warning("mxlims-store: %s", error)
            return ""

    def get_full_user_name(self) -> str:
        return self.get_user_name()

    def is_user_login_type(self) -> bool:
        return False  # the key stands for a proposal's member or for beamline staff

    def echo(self) -> bool:
        try:
            self._call("GET", "/me")
        except LimsUnavailable as error:
            log.warning("mxlims-store does not answer: %s", error)
            return False
        return True

    def _proposals(self, login_id: str | None = None) -> list[str]:
        granted = self._whoami().get("proposals")
        if granted is not None:  # a member key: its proposals, nothing else
            return list(granted)
        chosen = login_id or self.get_property("proposal")
        return [str(chosen)] if chosen else []

    def _session(self, code: str) -> Session:
        return Session(
            session_id=code,
            proposal_id=code,
            proposal_name=code,
            code=code,
            title=code,
            beamline_name=self.beamline_name,
            is_scheduled_beamline=True,
            is_scheduled_time=True,
        )

    def login(self, login_id: str, password: str, create_session: bool) -> list[Session]:
        """The key is the credential (the password is not asked for); the sessions are the
        key's proposals, or for a staff key the proposal named at login."""
        try:
            sessions = [self._session(code) for code in self._proposals(login_id)]
        except LimsUnavailable as error:
            log.error("mxlims-store: login failed: %s", error)
            return []
        user = LimsUser(user_name=login_id or self.get_user_name(), sessions=sessions)
        self.session_manager.users[user.user_name] = user
        self.session_manager.sessions = sessions
        if sessions and self.session_manager.active_session is None:
            self.session_manager.active_session = sessions[0]
        return sessions

    def get_proposals_by_user(self, login_id: str) -> list[dict[str, Any]]:
        try:
            codes = self._proposals(login_id)
            name = self.get_user_name()
        except LimsUnavailable as error:
            log.error("mxlims-store: %s", error)
            return []
        return [
            {
                "Proposal": {"code": code, "number": "", "title": code, "proposalId": code},
                "Person": {"login": login_id, "familyName": name},
                "Laboratory": {},
                "Session": [self._session(code).model_dump()],
            }
            for code in codes
        ]

    def create_session(self, proposal_tuple: Any) -> Any:
        return self.session_manager  # sessions are the proposals; nothing to create

    def set_active_session_by_id(self, session_id: str) -> Session:
        session = next(
            (s for s in self.session_manager.sessions or [] if s.session_id == session_id),
            None,
        ) or self._session(session_id)
        self.session_manager.active_session = session
        return session

    def _proposal(self) -> str | None:
        active = self.session_manager.active_session
        if active is not None and active.session_id:
            return active.session_id
        proposals = self._proposals()
        return proposals[0] if proposals else None

    # -- samples ---------------------------------------------------------------------------------

    def get_samples(self, lims_name: str = "") -> list[dict[str, Any]]:
        """The proposal's pins in the sample changer (``only_loaded``) or all of them, one dict
        per pin with exactly the keys MXCuBE documents."""
        try:
            listed = self._listed(bool(self.get_property("only_loaded", True)))
        except Exception as error:  # never raised to MXCuBE: a LIMS must not stop a beamline
            log.error("mxlims-store: cannot list samples: %s", error)
            return []
        self.samples = [{k: entry.get(k) for k in SAMPLE_KEYS} for entry in listed]
        for sample in self.samples:  # MXCuBE Web shows the location as text
            if sample["containerSampleChangerLocation"] is not None:
                sample["containerSampleChangerLocation"] = str(
                    sample["containerSampleChangerLocation"]
                )
        return self.samples

    def _listed(self, only_loaded: bool) -> list[dict[str, Any]]:
        proposal = self._proposal()
        if proposal is None:
            raise LimsUnavailable("no proposal: log in first, or configure one")
        self._whoami()
        query: dict[str, Any] = {}
        if only_loaded:
            query["loaded"] = "true"
            if self.beamline_name and self.beamline_name != "unknown":
                query["beamline"] = self.beamline_name
        path = f"/proposals/{urllib.parse.quote(proposal, safe='')}/samples"
        listed: list[dict[str, Any]] = self._call("GET", path, query=query)
        self._pins.update({e["sampleId"]: e["uuid"] for e in listed if e.get("sampleId")})
        return listed

    def _pin(self, sample_id: Any) -> str | None:
        """The uuid of the pin MXCuBE knows by ``sample_id`` (its store number)."""
        try:
            number = int(sample_id)
        except (TypeError, ValueError):
            return None
        if number not in self._pins:
            self._listed(only_loaded=False)
        return self._pins.get(number)

    # -- data collections as MXLIMS ----------------------------------------------------------------

    def store_data_collection(
        self, datacollection_dict: dict[str, Any], beamline_config_dict: dict | None = None
    ) -> tuple[int | None, int | None]:
        """An MxExperiment (Running) on the collection's pin; its number is the collection id."""
        try:
            return self._send(datacollection_dict, "Running", with_sweep=False), None
        except Exception as error:  # never raised to MXCuBE
            log.error("mxlims-store: data collection not stored: %s", error)
            return None, None

    def update_data_collection(self, datacollection_dict: dict[str, Any]) -> tuple[Any, Any]:
        try:
            return self._send(datacollection_dict, "Running", with_sweep=False), None
        except Exception as error:  # never raised to MXCuBE
            log.error("mxlims-store: data collection not updated: %s", error)
            return None, None

    def finalize_data_collection(self, datacollection_dict: dict[str, Any]) -> tuple[Any, Any]:
        """The experiment Completed with its CollectionSweep (or Failed, with no sweep)."""
        status = str(datacollection_dict.get("status") or "").lower()
        failed = any(word in status for word in FAILED)
        try:
            state = "Failed" if failed else "Completed"
            return self._send(datacollection_dict, state, with_sweep=not failed), None
        except Exception as error:  # never raised to MXCuBE
            log.error("mxlims-store: data collection not finalised: %s", error)
            return None, None

    def _send(self, dc: dict[str, Any], job_status: str, *, with_sweep: bool) -> int | None:
        known = self._collections.get(as_int(dc.get("collection_id")) or -1)
        if known is None:
            pin = self._pin(
                dc.get("blSampleId") or (dc.get("sample_reference") or {}).get("blSampleId")
            )
            if pin is None:
                raise LimsUnavailable("the collection names no sample the store knows")
            known = {"pin": pin, "experiment": str(uuid.uuid1()), "sweep": str(uuid.uuid1())}
        message = collection_message(dc, known, job_status, with_sweep)
        self._call("POST", "/messages", message, query={"policy": "merge"})
        if "number" not in known:
            stored = self._call("GET", f"/objects/{known['experiment']}")
            known["number"] = stored["_meta"]["number"]
        self._collections[known["number"]] = known
        dc["collection_id"] = known["number"]
        return int(known["number"])

    # -- robot -------------------------------------------------------------------------------------

    def store_robot_action(self, robot_action_dict: dict[str, Any]) -> None:
        """``LOAD`` -> a ``mounted`` event of the pin, ``UNLOAD`` -> ``unmounted``."""
        action = str(robot_action_dict.get("actionType") or "").upper()
        state = {"LOAD": "mounted", "UNLOAD": "unmounted"}.get(action)
        if state is None or str(robot_action_dict.get("status") or "SUCCESS") != "SUCCESS":
            log.info("mxlims-store: robot action %s not recorded", action or "(none)")
            return None
        try:
            pin = self._pin(robot_action_dict.get("sampleId"))
            if pin is None:
                log.warning("mxlims-store: robot action on an unknown sample, not recorded")
                return None
            event: dict[str, Any] = {"state": state}
            if self.beamline_name and self.beamline_name != "unknown":
                event["beamline"] = self.beamline_name[:100]
            note = robot_action_dict.get("message")
            if note:
                event["note"] = str(note)[:2000]
            self._call("POST", f"/objects/{pin}/events", event)
        except Exception as error:  # never raised to MXCuBE
            log.error("mxlims-store: robot action not recorded: %s", error)
        return None

    # -- what the store does not keep (yet) ------------------------------------------------------

    def store_beamline_setup(self, session_id: str, bl_config_dict: dict) -> int:
        log.info("mxlims-store keeps no beamline set-up; not stored")
        return -1

    def store_image(self, image_dict: dict) -> None:
        log.info("mxlims-store keeps no images; not stored")

    def store_energy_scan(self, energyscan_dict: dict) -> dict[str, int]:
        log.info("mxlims-store keeps no energy scans; not stored")
        return {"energyScanId": -1}

    def store_xfe_spectrum(self, xfespectrum_dict: dict) -> dict[str, int]:
        log.info("mxlims-store keeps no XRF spectra; not stored")
        return {"xfeFluorescenceSpectrumId": -1}

    def store_workflow(self, workflow_dict: dict) -> tuple[None, None, None]:
        log.info("mxlims-store keeps no workflow records; not stored")
        return None, None, None
