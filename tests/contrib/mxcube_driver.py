"""Run by the test in mxcubecore's own venv: drives contrib/mxcube's LIMS against a served
store, one phase per call, and prints what it saw as JSON (the test asserts on it).

    python mxcube_driver.py CONTRIB_DIR URL KEY PHASE [ARGUMENT_JSON]
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

contrib, url, key, phase = sys.argv[1:5]
argument: Any = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
sys.path.insert(0, contrib)
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

from mxcubecore.HardwareObjects.abstract.AbstractLims import AbstractLims  # noqa: E402
from MxlimsStoreLims import SAMPLE_KEYS, MxlimsStoreLims  # noqa: E402


def lims(**properties: Any) -> MxlimsStoreLims:
    made = MxlimsStoreLims("lims")
    for name, value in {"url": url, "api_key": key, **properties}.items():
        made._set_property(name, value)  # as MXCuBE's XML loader sets them
    made.init()
    return made


answer: dict[str, Any] = {}
if phase == "samples":
    assert issubclass(MxlimsStoreLims, AbstractLims)
    answer["abstract_left"] = sorted(MxlimsStoreLims.__abstractmethods__)
    answer["abstract_methods"] = sorted(AbstractLims.__abstractmethods__)
    beamline = lims()  # the staff key's own beamline, pucks in the sample changer
    answer["echo"] = beamline.echo()
    answer["user"] = beamline.get_user_name()
    answer["lims_name"] = beamline.get_lims_name()[0].name
    answer["sessions"] = [s.session_id for s in beamline.login("mx1234", "", False)]
    answer["proposals"] = [p["Proposal"]["code"] for p in beamline.get_proposals_by_user("mx1234")]
    answer["beamline"] = beamline.beamline_name
    answer["samples"] = beamline.get_samples("mxlims-store")
    answer["contrib_keys"] = list(SAMPLE_KEYS)
    documented = re.findall(r'^\s*"(\w+)"\s*:', AbstractLims.get_samples.__doc__ or "", re.M)
    answer["documented_keys"] = [k for k in documented if k != "diffractionPlanId"]  # nested
    answer["not_stored"] = {
        "energy": beamline.store_energy_scan({"x": 1}),
        "xfe": beamline.store_xfe_spectrum({}),
        "image": beamline.store_image({}),
        "workflow": list(beamline.store_workflow({})),
        "setup": beamline.store_beamline_setup("mx1234", {}),
        "robot_dispose": beamline.store_robot_action({"actionType": "DISPOSE", "sampleId": 1}),
        "unknown_sample": list(
            beamline.store_data_collection({"blSampleId": 10**9, "oscillation_sequence": 7}, None)
        ),
        "garbage": list(beamline.finalize_data_collection({"oscillation_sequence": "x"})),
    }
    down = lims(url="http://127.0.0.1:9")  # nothing listens there: logged, never raised
    answer["down"] = {
        "echo": down.echo(),
        "samples": down.get_samples(""),
        "collection": list(down.store_data_collection({"blSampleId": 1}, None)),
        "robot": down.store_robot_action({"actionType": "LOAD", "sampleId": 1}),
    }
elif phase == "collect":
    beamline = lims()
    beamline.login("mx1234", "", False)
    beamline.get_samples("")
    collection = {
        "blSampleId": argument,
        "sample_reference": {"blSampleId": argument},
        "status": "Running",
        "collection_start_time": "2026-12-06 10:00:00",
        "experiment_type": "OSC",
        "oscillation_sequence": [
            {
                "start": 10.0,
                "range": 0.1,
                "number_of_images": 1800,
                "start_image_number": 1,
                "exposure_time": 0.02,
                "overlap": 0.0,
            }
        ],
        "fileinfo": {
            "directory": "/data/id23/mx1234/RAW",
            "prefix": "hewl",
            "template": "hewl_1_%05d.cbf",
        },
        "wavelength": 0.9763,
        "resolution": {"lower": 40.0, "upper": 1.6},
        "transmission": 12.5,
        "beamSizeAtSampleX": 0.05,
        "beamSizeAtSampleY": 0.03,
    }
    answer["stored"] = list(beamline.store_data_collection(collection, {"synchrotron_name": "x"}))
    collection["resolution"] = 1.55  # MXCuBE's update sends a number here
    answer["updated"] = list(beamline.update_data_collection(collection))
    collection["status"] = "Data collection successful"
    answer["finalized"] = list(beamline.finalize_data_collection(collection))
elif phase == "robot":
    beamline = lims()
    beamline.login("mx1234", "", False)
    beamline.get_samples("")
    action = {"actionType": "LOAD", "sampleId": argument, "status": "SUCCESS", "message": "ok"}
    answer["robot"] = beamline.store_robot_action(action)
print(json.dumps(answer, default=str))
