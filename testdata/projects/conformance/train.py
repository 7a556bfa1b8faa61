# The recorded project's train.py (testdata/conformance/mlflow-projects/project/train.py),
# with mlflow_rest standing in for the mlflow client.
import argparse, json, os, sys
import mlflow_rest as mlflow

ENV_AT_START = {k: v for k, v in sorted(os.environ.items()) if k.startswith("MLFLOW_")}  # before start_run()

p = argparse.ArgumentParser()
p.add_argument("--data-file")
p.add_argument("--alpha", type=float)
p.add_argument("--label")
p.add_argument("--epochs", type=int)
p.add_argument("--extra")
a, unknown = p.parse_known_args()
with mlflow.start_run() as run:
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("MLFLOW_")}
    run.log_dict({"argv": sys.argv, "unknown_args": unknown, "mlflow_env_at_process_start": ENV_AT_START, "mlflow_env_inside_start_run": env,
                  "cwd_is_project_dir": os.path.exists("MLproject"),
                  "data_file_is_abs": os.path.isabs(a.data_file or ""),
                  "run_id_matches_env": run.run_id == os.environ.get("MLFLOW_RUN_ID")},
                 "child_env.json")
    run.log_param("script_alpha", a.alpha)
    run.set_tag("script_tag", "from-train")
    for e in range(a.epochs or 1):
        run.log_metric("loss", 1.0 / (e + 1), step=e)
    run.log_metric("alpha_x2", (a.alpha or 0) * 2)
print("train done", a)
