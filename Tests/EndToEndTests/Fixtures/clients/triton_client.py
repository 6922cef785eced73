"""Triton's `tritonclient[http]` (the Open Inference Protocol client) against an epara gateway:
health, readiness and metadata, then inference with the client's default binary tensors and
with JSON tensors, and an unknown model. Prints one JSON object of what it saw;
OfficialClientTests holds it.

usage: triton_client.py HOST:PORT TOKEN MODEL INPUT_NAME OUTPUT_NAME
"""
import json
import sys

import numpy as np
import tritonclient.http as http
from tritonclient.utils import InferenceServerException

url, token, model, input_name, output_name = sys.argv[1:6]


def headers():
    # A fresh dict for every call: the client writes its binary header length into the one given.
    return {"Authorization": "Bearer " + token}


client = http.InferenceServerClient(url=url)
seen = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready(model, headers=headers()),
    "metadata_name": client.get_model_metadata(model, headers=headers())["name"],
    "server": client.get_server_metadata(headers=headers())["name"],
}

x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
for binary in (True, False):
    tensor = http.InferInput(input_name, list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    outputs = [http.InferRequestedOutput(output_name, binary_data=binary)]
    result = client.infer(model, [tensor], outputs=outputs, request_id="r-%s" % binary, headers=headers())
    seen["binary" if binary else "json"] = {
        "output": result.as_numpy(output_name).reshape(-1).tolist(),
        "id": result.get_response().get("id"),
    }

try:
    client.infer("no-such", [tensor], headers=headers())
    seen["unknown_model"] = None
except InferenceServerException as error:
    seen["unknown_model"] = {"status": error.status(), "message": error.message()}
# Without the bearer token: refused (the client reads any status but 200 as not ready).
seen["no_token_ready"] = client.is_model_ready(model)
print(json.dumps(seen, sort_keys=True))
