package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// MLflow's tags on a project run.
const (
	TagUser             = "mlflow.user"
	TagSourceName       = "mlflow.source.name"
	TagSourceType       = "mlflow.source.type"
	TagEntryPoint       = "mlflow.project.entryPoint"
	TagGitCommit        = "mlflow.source.git.commit"
	TagGitRepoURL       = "mlflow.source.git.repoURL"
	TagLegacyGitRepoURL = "mlflow.gitRepoURL"
	TagGitBranch        = "mlflow.source.git.branch"
	TagLegacyGitBranch  = "mlflow.gitBranchName"
	TagBackend          = "mlflow.project.backend"
	TagEnv              = "mlflow.project.env"
	TagRunName          = "mlflow.runName"
	TagDockerImageURI   = "mlflow.docker.image.uri"
	TagDockerImageID    = "mlflow.docker.image.id"
)

// LogArtifact is the run artifact that keeps the command's output.
const LogArtifact = "berth-run.log"

// Backends and environment managers Run accepts.
const (
	BackendLocal      = "local"
	BackendKubernetes = "kubernetes"
	EnvManagerLocal   = "local"
	EnvManagerDocker  = "docker"
)

// Request is one berth run.
type Request struct {
	// URI is the project: a directory, a file: URI or a git URL, with an
	// optional #subdirectory.
	URI string
	// Version is a git commit, branch or tag (-v).
	Version string
	// EntryPoint is the entry point, or a .py or .sh script. Default: main.
	EntryPoint string
	// Params are the -P parameters, in the order given.
	Params []Param
	// ExperimentName or ExperimentID (at most one) picks the experiment;
	// neither: experiment 0. A missing named experiment is created.
	ExperimentName, ExperimentID string
	// RunName sets mlflow.runName after the run starts, as MLflow does.
	RunName string
	// EnvManager is local or docker ("": from the project: docker for a
	// docker_env project, else local).
	EnvManager string
	// Backend is local (default) or kubernetes.
	Backend string
	// Kube is the Kubernetes backend's configuration.
	Kube *KubeConfig
}

// Result is what Run did.
type Result struct {
	RunID        string `json:"run_id"`
	ExperimentID string `json:"experiment_id"`
	Status       string `json:"status"`
	Command      string `json:"command"`
	// ExitCode is the command's exit status (-1 when a signal ended it).
	ExitCode int `json:"exit_code"`
	// Job is the rendered Kubernetes Job, for the kubernetes backend.
	Job []byte `json:"-"`
}

// ErrRunFailed is what a *FailedError is (errors.Is): the command exited
// non-zero or was stopped.
var ErrRunFailed = errors.New("run failed")

// FailedError is a run whose command failed (Status FAILED) or was stopped
// (KILLED); its message is MLflow's.
type FailedError struct {
	RunID, Status string
}

func (e *FailedError) Error() string {
	if e.Status == "KILLED" {
		return fmt.Sprintf("Run (ID '%s') was stopped (KILLED)", e.RunID)
	}
	return fmt.Sprintf("Run (ID '%s') failed", e.RunID)
}

// Is makes errors.Is(err, ErrRunFailed) true.
func (e *FailedError) Is(target error) bool { return target == ErrRunFailed }

// Run runs the project as mlflow run does, against the tracking server c.
func Run(ctx context.Context, c *mlflowrest.Client, req Request, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	if cfg.trackingURI == "" {
		cfg.trackingURI = c.BaseURL
	}
	if req.EntryPoint == "" {
		req.EntryPoint = "main"
	}
	if req.Backend == "" {
		req.Backend = BackendLocal
	}
	if req.Backend != BackendLocal && req.Backend != BackendKubernetes {
		return nil, fmt.Errorf("--backend %q: berth runs projects on local or kubernetes", req.Backend)
	}
	switch req.EnvManager {
	case "", EnvManagerLocal, EnvManagerDocker:
	case "virtualenv", "conda":
		return nil, fmt.Errorf("--env-manager %s: berth does not create %s environments (that needs a package index); "+
			"--env-manager local runs the command in the current environment", req.EnvManager, req.EnvManager)
	default:
		return nil, fmt.Errorf("--env-manager %q: berth runs projects with local or docker", req.EnvManager)
	}
	if req.ExperimentName != "" && req.ExperimentID != "" {
		return nil, execErr("Specify only one of 'experiment_name' or 'experiment_id'.")
	}
	expID, err := resolveExperiment(ctx, c, req, cfg)
	if err != nil {
		return nil, err
	}

	fetchOpts := []FetchOption{CloneInto(cfg.tmpDir)}
	if cfg.cwd != "" {
		fetchOpts = append(fetchOpts, FromDir(cfg.cwd))
	}
	src, err := Fetch(ctx, req.URI, req.Version, fetchOpts...)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	proj, err := Load(src.Dir)
	if err != nil {
		return nil, err
	}
	ep, err := proj.EntryPoint(req.EntryPoint, cfg.shell)
	if err != nil {
		return nil, err
	}
	if err := ep.Validate(req.Params); err != nil {
		return nil, err
	}
	docker := proj.EnvType == EnvDocker
	if req.EnvManager == EnvManagerDocker && !docker {
		return nil, fmt.Errorf("--env-manager docker: %s has no docker_env", mlprojectName(proj))
	}
	if req.Backend == BackendKubernetes {
		if !docker {
			return nil, execErr("Kubernetes backend requires a docker_env in the MLproject (the Job runs its image)")
		}
		if req.Kube == nil {
			return nil, execErr("Backend_config file not found.")
		}
	}
	if !docker && proj.EnvFile != "" {
		cfg.log.Info("the command runs in the current environment (--env-manager local): berth does not create the "+
			"project's virtualenv or conda environment, which needs a package index", "env", proj.EnvType, "file", proj.EnvFile)
	}

	r := &runner{c: c, cfg: cfg, req: req, src: src, proj: proj, ep: ep, expID: expID}
	return r.run(ctx)
}

func mlprojectName(p *Project) string {
	if p.File != "" {
		return p.File
	}
	return "the project"
}

func resolveExperiment(ctx context.Context, c *mlflowrest.Client, req Request, cfg *config) (string, error) {
	switch {
	case req.ExperimentID != "":
		return req.ExperimentID, nil
	case req.ExperimentName == "":
		return "0", nil
	}
	var got mlflowrest.GetExperimentResponse
	err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {req.ExperimentName}}, &got)
	if err == nil {
		return got.Experiment.ExperimentID, nil
	}
	if !mlflowrest.IsNotFound(err) {
		return "", fmt.Errorf("finding experiment %q: %w", req.ExperimentName, err)
	}
	fmt.Fprintf(cfg.stderr, "'%s' does not exist. Creating a new experiment\n", req.ExperimentName)
	var created mlflowrest.CreateExperimentResponse
	if err := c.Post(ctx, "experiments/create", mlflowrest.CreateExperimentRequest{Name: req.ExperimentName}, &created); err != nil {
		return "", fmt.Errorf("creating experiment %q: %w", req.ExperimentName, err)
	}
	return created.ExperimentID, nil
}

type runner struct {
	c     *mlflowrest.Client
	cfg   *config
	req   Request
	src   *Source
	proj  *Project
	ep    *EntryPoint
	expID string

	runID       string
	artifactURI string
	log         *outputLog
}

// say writes one of berth's own lines to stderr and the run's log.
func (r *runner) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	io.WriteString(r.cfg.stderr, line)
	if r.log != nil {
		io.WriteString(r.log, line)
	}
}

func (r *runner) tags() []mlflowrest.RunTag {
	tags := []mlflowrest.RunTag{
		{Key: TagUser, Value: r.cfg.user},
		{Key: TagSourceName, Value: r.src.Name},
		{Key: TagSourceType, Value: "PROJECT"},
		{Key: TagEntryPoint, Value: r.ep.Name},
	}
	if r.src.Commit != "" {
		tags = append(tags, mlflowrest.RunTag{Key: TagGitCommit, Value: r.src.Commit})
	}
	if r.src.RepoURL != "" {
		tags = append(tags, mlflowrest.RunTag{Key: TagGitRepoURL, Value: r.src.RepoURL},
			mlflowrest.RunTag{Key: TagLegacyGitRepoURL, Value: r.src.RepoURL})
	}
	if r.src.Branch != "" {
		tags = append(tags, mlflowrest.RunTag{Key: TagGitBranch, Value: r.src.Branch},
			mlflowrest.RunTag{Key: TagLegacyGitBranch, Value: r.src.Branch})
	}
	return tags
}

func (r *runner) setTag(ctx context.Context, key, value string) error {
	req := mlflowrest.SetTagRequest{RunUUID: r.runID, Key: key, Value: value, RunID: r.runID}
	if err := r.c.Post(ctx, "runs/set-tag", req, nil); err != nil {
		return fmt.Errorf("tagging run %s with %s: %w", r.runID, key, err)
	}
	return nil
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	var created mlflowrest.RunResponse
	create := mlflowrest.CreateRunRequest{ExperimentID: r.expID, UserID: r.cfg.user,
		StartTime: mlflowrest.Int64(r.cfg.now().UnixMilli()), Tags: r.tags()}
	if err := r.c.Post(ctx, "runs/create", create, &created); err != nil {
		return nil, fmt.Errorf("creating the run: %w", err)
	}
	r.runID, r.artifactURI = created.Run.Info.RunID, created.Run.Info.ArtifactURI
	if r.runID == "" {
		r.runID = created.Run.Info.RunUUID
	}
	res := &Result{RunID: r.runID, ExperimentID: r.expID, Status: "RUNNING", ExitCode: -1}
	log, err := newOutputLog(r.cfg.tmpDir, r.cfg.outputLimit)
	if err != nil {
		return res, r.abort(ctx, res, err)
	}
	r.log = log
	defer log.Close()

	// What MLflow logs: declared parameters (path values as given), then
	// the extra ones, before anything runs.
	params, extra, err := r.ep.Compute(r.req.Params, "")
	if err != nil {
		return res, r.abort(ctx, res, err)
	}
	if all := append(params, extra...); len(all) > 0 {
		batch := mlflowrest.LogBatchRequest{RunID: r.runID}
		for _, p := range all {
			batch.Params = append(batch.Params, mlflowrest.Param{Key: p.Key, Value: p.Value})
		}
		if err := r.c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
			return res, r.abort(ctx, res, fmt.Errorf("logging the parameters: %w", err))
		}
	}
	cwd := r.cfg.cwd
	if cwd == "" {
		if cwd, err = os.Getwd(); err != nil {
			return res, r.abort(ctx, res, err)
		}
	}
	command, err := r.ep.Render(r.req.Params, cwd)
	if err != nil {
		return res, r.abort(ctx, res, err)
	}
	if r.req.Backend == BackendKubernetes {
		return r.kubernetes(ctx, res, command)
	}
	if r.proj.EnvType == EnvDocker {
		if err := r.setTag(ctx, TagEnv, "docker"); err != nil {
			return res, r.abort(ctx, res, err)
		}
		command, err = r.dockerCommand(ctx, command)
		if err != nil {
			return res, r.abort(ctx, res, err)
		}
	}
	res.Command = command
	r.say("=== Running command '%s' in run with ID '%s' === ", command, r.runID)
	cmd, err := r.start(command)
	if err != nil {
		return res, r.abort(ctx, res, fmt.Errorf("starting the command: %w", err))
	}
	// Tagged even when Ctrl-C comes right after the start: the wait below
	// handles the stop.
	tagCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.setTag(tagCtx, TagBackend, BackendLocal); err != nil {
		r.stop(cmd)
		return res, r.abort(ctx, res, err)
	}
	if r.req.RunName != "" {
		if err := r.setTag(tagCtx, TagRunName, r.req.RunName); err != nil {
			r.stop(cmd)
			return res, r.abort(ctx, res, err)
		}
	}
	killed := r.wait(ctx, cmd)
	res.ExitCode = cmd.ProcessState.ExitCode()
	switch {
	case killed:
		res.Status = "KILLED"
		r.say("=== Run (ID '%s') stopped (%s) ===", r.runID, cmd.ProcessState)
	case cmd.ProcessState.Success():
		res.Status = "FINISHED"
	default:
		res.Status = "FAILED"
		r.say("=== Run (ID '%s') failed: the command exited with %s ===", r.runID, cmd.ProcessState)
	}
	if err := r.finish(ctx, res.Status); err != nil {
		return res, err
	}
	if res.Status != "FINISHED" {
		return res, &FailedError{RunID: r.runID, Status: res.Status}
	}
	r.say("=== Run (ID '%s') succeeded ===", r.runID)
	return res, nil
}

// abort ends a run that could not start FAILED, its reason in the log
// artifact, and returns the reason.
func (r *runner) abort(ctx context.Context, res *Result, cause error) error {
	res.Status = "FAILED"
	if r.log != nil {
		io.WriteString(r.log, cause.Error()+"\n")
	}
	if err := r.finish(ctx, "FAILED"); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// finish uploads the log and sets the run's final status, even after the
// command was stopped by ctx.
func (r *runner) finish(ctx context.Context, status string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	if r.log != nil {
		if err := r.uploadLog(ctx); err != nil {
			r.cfg.log.Warn("the command's output was not kept as a run artifact", "err", err)
		}
	}
	end := mlflowrest.Int64(r.cfg.now().UnixMilli())
	upd := mlflowrest.UpdateRunRequest{RunUUID: r.runID, Status: status, EndTime: &end, RunID: r.runID}
	if err := r.c.Post(ctx, "runs/update", upd, nil); err != nil {
		errs = append(errs, fmt.Errorf("ending run %s %s: %w", r.runID, status, err))
	}
	return errors.Join(errs...)
}

func (r *runner) uploadLog(ctx context.Context) error {
	root, err := mlflowrest.ArtifactProxyPath(r.artifactURI)
	if err != nil {
		return err
	}
	f, err := r.log.Reader()
	if err != nil {
		return err
	}
	defer f.Close()
	return r.c.PutArtifact(ctx, root+"/"+LogArtifact, f)
}

// childEnv is the command's environment: the base one with MLflow's three
// variables set over it.
func (r *runner) childEnv() []string {
	set := map[string]string{"MLFLOW_RUN_ID": r.runID, "MLFLOW_TRACKING_URI": r.cfg.trackingURI, "MLFLOW_EXPERIMENT_ID": r.expID}
	out := make([]string, 0, len(r.cfg.env)+3)
	hasToken := false
	for _, kv := range r.cfg.env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		hasToken = hasToken || k == "MLFLOW_TRACKING_TOKEN"
		out = append(out, kv)
	}
	for _, k := range []string{"MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID"} {
		out = append(out, k+"="+set[k])
	}
	if r.c.Token != "" && !hasToken {
		out = append(out, "MLFLOW_TRACKING_TOKEN="+r.c.Token)
	}
	return out
}

func (r *runner) start(command string) (*exec.Cmd, error) {
	cmd := exec.Command("bash", "-c", command)
	cmd.Dir = r.src.Dir
	cmd.Env = r.childEnv()
	cmd.Stdout = io.MultiWriter(r.cfg.stdout, r.log)
	cmd.Stderr = io.MultiWriter(r.cfg.stderr, r.log)
	// Its own process group: a signal reaches the command's whole tree
	// through berth, once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = r.cfg.grace
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

func (r *runner) stop(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
}

// wait waits for the command; when ctx ends first (Ctrl-C, SIGTERM) it
// sends SIGTERM to the command's process group, then SIGKILL after the
// grace period, and reports that the run was stopped.
func (r *runner) wait(ctx context.Context, cmd *exec.Cmd) bool {
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return false
	case <-ctx.Done():
	}
	r.say("=== Run (ID '%s') interrupted, stopping the command ===", r.runID)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(r.cfg.grace):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return true
}
