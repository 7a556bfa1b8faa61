# The recorded project's other.py, with mlflow_rest standing in for the mlflow client.
import json, os, sys
import mlflow_rest as mlflow

ENV_AT_START = {k: v for k, v in sorted(os.environ.items()) if k.startswith("MLFLOW_")}  # before start_run()
with mlflow.start_run() as run:
    run.log_dict({"argv": sys.argv, "mlflow_env_at_process_start": ENV_AT_START}, "child_env.json")
    run.log_metric("other_metric", 42)
print("other done", sys.argv)
