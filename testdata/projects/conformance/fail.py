# The recorded project's fail.py, with mlflow_rest standing in for the mlflow client.
import os, sys
import mlflow_rest as mlflow

ENV_AT_START = {k: v for k, v in sorted(os.environ.items()) if k.startswith("MLFLOW_")}  # before start_run()
with mlflow.start_run() as run:
    run.log_dict({"mlflow_env_at_process_start": ENV_AT_START, "argv": sys.argv}, "child_env.json")
    run.log_metric("before_fail", 1)
print("about to fail", file=sys.stderr)
sys.exit(int(sys.argv[1]))
