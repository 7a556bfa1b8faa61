"""A stand-in for the mlflow client in berth run's test projects.

It speaks MLflow's REST API with the standard library only (Debian's python3
has no mlflow), doing what mlflow.start_run() does inside `mlflow run`:
attach to the run MLFLOW_RUN_ID names (runs/get, then runs/update RUNNING,
and MLFLOW_RUN_ID removed from the environment), log to it, and end it
FINISHED on leaving the with block.
"""
import json
import os
import time
import urllib.parse
import urllib.request

TRACKING = os.environ.get("MLFLOW_TRACKING_URI", "").rstrip("/")


def _call(method, endpoint, body=None, query=None):
    url = TRACKING + "/api/2.0/mlflow/" + endpoint
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"{}")


class Run:
    def __init__(self):
        self.run_id = os.environ["MLFLOW_RUN_ID"]
        self.info = _call("GET", "runs/get", query={"run_id": self.run_id})["run"]["info"]

    def __enter__(self):
        os.environ.pop("MLFLOW_RUN_ID", None)
        self._update("RUNNING")
        return self

    def __exit__(self, *exc):
        self._update("FINISHED", int(time.time() * 1000))

    def _update(self, status, end_time=None):
        body = {"run_uuid": self.run_id, "status": status, "run_id": self.run_id}
        if end_time is not None:
            body["end_time"] = end_time
        _call("POST", "runs/update", body)

    def log_param(self, key, value):
        _call("POST", "runs/log-parameter", {"run_id": self.run_id, "key": key, "value": str(value)})

    def set_tag(self, key, value):
        _call("POST", "runs/set-tag", {"run_id": self.run_id, "key": key, "value": str(value)})

    def log_metric(self, key, value, step=0):
        _call("POST", "runs/log-metric", {"run_id": self.run_id, "key": key, "value": value,
                                          "timestamp": int(time.time() * 1000), "step": step})

    def log_dict(self, d, name):
        root = self.info["artifact_uri"].split("mlflow-artifacts:", 1)[1].lstrip("/")
        url = TRACKING + "/api/2.0/mlflow-artifacts/artifacts/" + root + "/" + name
        req = urllib.request.Request(url, data=json.dumps(d, indent=2).encode(), method="PUT")
        urllib.request.urlopen(req).read()


def start_run():
    return Run()
