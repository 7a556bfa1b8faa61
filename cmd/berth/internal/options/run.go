//go:build !servingonly

package options

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/project"
)

// Run are berth run's flags, named as mlflow run names them.
type Run struct {
	EntryPoint     string
	Version        string
	Params         []string
	ExperimentName string
	ExperimentID   string
	RunName        string
	EnvManager     string
	Backend        string
	BackendConfig  string
	// JobFile is where --backend kubernetes writes the Job ("": stdout).
	JobFile string
}

// AddFlags adds berth run's flags to cmd.
func (o *Run) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.EntryPoint, "entry-point", "e", "main", "entry point of the MLproject, or a .py or .sh script in the project")
	f.StringVarP(&o.Version, "version", "v", "", "git commit, branch or tag to check out (git projects)")
	f.StringArrayVarP(&o.Params, "param-list", "P", nil, "a parameter, NAME=VALUE (repeatable); an undeclared one is appended as --NAME VALUE")
	f.StringVar(&o.ExperimentName, "experiment-name", "", "experiment to run in, created when missing (default: $MLFLOW_EXPERIMENT_NAME, else experiment 0)")
	f.StringVar(&o.ExperimentID, "experiment-id", "", "id of the experiment to run in (default: $MLFLOW_EXPERIMENT_ID)")
	f.StringVar(&o.RunName, "run-name", "", "the run's name (mlflow.runName)")
	f.StringVar(&o.EnvManager, "env-manager", "", `local: run in the current environment (python_env and conda_env projects too); `+
		`docker: require the project's docker_env and run under podman (default: docker for a docker_env project, else local)`)
	f.StringVarP(&o.Backend, "backend", "b", project.BackendLocal, "local, or kubernetes: render a Job from the --backend-config template")
	f.StringVarP(&o.BackendConfig, "backend-config", "c", "", "the kubernetes backend's JSON file (kube-job-template-path, repository-uri)")
	f.StringVar(&o.JobFile, "job-file", "", "--backend kubernetes: write the rendered Job here (default: stdout)")
}

// Request turns the flags into a project.Request for uri; lookup reads
// MLFLOW_EXPERIMENT_NAME and MLFLOW_EXPERIMENT_ID when neither flag is
// given.
func (o *Run) Request(uri string, lookup func(string) (string, bool)) (project.Request, error) {
	params, err := project.ParseParams(o.Params)
	if err != nil {
		return project.Request{}, fmt.Errorf("-P: %w", err)
	}
	req := project.Request{URI: uri, Version: o.Version, EntryPoint: o.EntryPoint, Params: params,
		ExperimentName: o.ExperimentName, ExperimentID: o.ExperimentID, RunName: o.RunName,
		EnvManager: o.EnvManager, Backend: o.Backend}
	if req.ExperimentName == "" && req.ExperimentID == "" {
		if v, ok := lookup("MLFLOW_EXPERIMENT_NAME"); ok && v != "" {
			req.ExperimentName = v
		} else if v, ok := lookup("MLFLOW_EXPERIMENT_ID"); ok && v != "" {
			req.ExperimentID = v
		}
	}
	switch {
	case o.Backend == project.BackendKubernetes:
		if o.BackendConfig == "" {
			return project.Request{}, fmt.Errorf("--backend kubernetes needs --backend-config FILE (kube-job-template-path, repository-uri)")
		}
		k, err := project.LoadKubeConfig(o.BackendConfig)
		if err != nil {
			return project.Request{}, err
		}
		req.Kube = k
	case o.BackendConfig != "":
		return project.Request{}, fmt.Errorf("--backend-config is the kubernetes backend's; --backend is %s", o.Backend)
	}
	return req, nil
}
