//go:build !servingonly

package main

import (
	"fmt"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/project"
)

func newRunCmd(g *options.Log) *cobra.Command {
	o := &options.Run{}
	reg := &options.Registry{}
	cmd := &cobra.Command{
		Use:   "run URI [-e ENTRY] [-P NAME=VALUE]... [-v VERSION]",
		Short: "Run an MLflow project (an MLproject directory or git repository) as a tracked run, as mlflow run does",
		Long: `Run runs an MLflow Project as MLflow 2.x's mlflow run does, against the
tracking server (--registry-uri, or MLFLOW_TRACKING_URI).

URI is a directory, a file: URI or a git repository (https://, ssh://,
git@host:path, or a local repository with -v), with #SUBDIR for a project in
a subdirectory; -v checks a commit, branch or tag out (into a temporary
clone). The MLproject's entry point (-e, default main), or a .py or .sh script
of the project, runs with the -P parameters: declared ones are filled into
its command, shell-quoted; undeclared ones are appended as --NAME VALUE;
path parameters must exist and become absolute paths (resolved against the
current directory); a declared parameter without a default must be given.

The run is created first, with MLflow's tags (mlflow.source.type=PROJECT,
mlflow.source.name, mlflow.project.entryPoint, the git commit, remote and
branch), the parameters are logged, and the command runs in the project
directory with MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID
set, so an MLflow client in it logs to that run. Its output is streamed
and kept as the run's berth-run.log artifact; Ctrl-C or SIGTERM is passed
on to it. The run ends FINISHED, FAILED (non-zero exit: berth exits 1) or
KILLED (stopped by a signal).

python_env and conda_env projects run in the current environment (berth
does not create virtualenvs: that needs a package index). docker_env
projects run in their image under podman, the project mounted at
/mlflow/projects/code, on the host network. --backend kubernetes renders
MLflow's Job from the --backend-config template (to --job-file or stdout)
instead of running the command. See docs/projects.md.`,
		Example: `  berth run ./my-project -P alpha=0.5 --experiment-name demo
  berth run https://github.com/mlflow/mlflow-example -v master -P alpha=0.4
  berth run ./repo#sub -e train.py -P epochs=3 --run-name first`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			req, err := o.Request(args[0], os.LookupEnv)
			if err != nil {
				return err
			}
			c, err := reg.Client()
			if err != nil {
				return err
			}
			res, err := project.Run(cmd.Context(), c, req, project.WithOutput(cmd.OutOrStdout(), cmd.ErrOrStderr()),
				project.WithLogger(log), project.WithUser(osUser()), project.WithShell(os.Getenv("SHELL")),
				project.WithKubeTrackingURI(os.Getenv("KUBE_MLFLOW_TRACKING_URI")))
			if err != nil {
				return err
			}
			if res.Job != nil {
				return writeJob(cmd, o.JobFile, res)
			}
			return nil
		},
	}
	o.AddFlags(cmd)
	reg.AddFlags(cmd)
	return cmd
}

func writeJob(cmd *cobra.Command, file string, res *project.Result) error {
	if file == "" {
		_, err := cmd.OutOrStdout().Write(res.Job)
		return err
	}
	if err := os.WriteFile(file, res.Job, 0o644); err != nil {
		return fmt.Errorf("writing the Job: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Job for run %s written to %s: kubectl apply -f %s\n", res.RunID, file, file)
	return nil
}

// osUser is MLflow's user: getpass.getuser() reads LOGNAME, USER, LNAME
// and USERNAME, then the password database.
func osUser() string {
	for _, k := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
