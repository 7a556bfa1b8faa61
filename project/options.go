package project

import (
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"
)

// Option configures Run.
type Option func(*config)

type config struct {
	trackingURI     string
	env             []string
	user            string
	shell           string
	cwd             string
	tmpDir          string
	stdout, stderr  io.Writer
	log             *slog.Logger
	podman          string
	outputLimit     int64
	grace           time.Duration
	kubeTrackingURI string
	now             func() time.Time
}

func newConfig(opts []Option) *config {
	c := &config{shell: "bash", stdout: io.Discard, stderr: io.Discard, podman: "podman",
		outputLimit: 64 << 20, grace: 10 * time.Second, tmpDir: os.TempDir(), now: time.Now,
		log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	if c.env == nil {
		c.env = os.Environ()
	}
	if c.user == "" {
		if u, err := user.Current(); err == nil {
			c.user = u.Username
		}
	}
	return c
}

// WithTrackingURI is the MLFLOW_TRACKING_URI the command gets. Default: the
// client's BaseURL.
func WithTrackingURI(uri string) Option { return func(c *config) { c.trackingURI = uri } }

// WithEnv is the environment the command starts from (MLFLOW_RUN_ID,
// MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID are set over it); docker_env
// copies host variables from it. Default: os.Environ().
func WithEnv(env []string) Option { return func(c *config) { c.env = env } }

// WithUser is the mlflow.user tag and the run's user_id (MLflow: the OS
// user, from LOGNAME, USER, LNAME or USERNAME first). Default: the
// current user's name.
func WithUser(name string) Option { return func(c *config) { c.user = name } }

// WithShell runs .sh entry points (MLflow: $SHELL). Default: bash.
func WithShell(shell string) Option {
	return func(c *config) {
		if shell != "" {
			c.shell = shell
		}
	}
}

// WithCwd is the directory relative project paths and path parameters are
// resolved against. Default: the process's working directory.
func WithCwd(dir string) Option { return func(c *config) { c.cwd = dir } }

// WithTemp is where git repositories are cloned. Default: os.TempDir().
func WithTemp(dir string) Option { return func(c *config) { c.tmpDir = dir } }

// WithOutput streams the command's standard output and error (and Run's
// own lines, to stderr). Default: both discarded (they are still kept in
// the run's log artifact).
func WithOutput(stdout, stderr io.Writer) Option {
	return func(c *config) { c.stdout, c.stderr = stdout, stderr }
}

// WithLogger logs what Run does. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithPodman is the podman executable docker_env projects run with.
// Default: podman, found on PATH.
func WithPodman(path string) Option { return func(c *config) { c.podman = path } }

// WithOutputLimit bounds the command output kept as the run's artifact;
// past it the artifact says it was cut (the terminal still gets all of
// it). Default: 64 MiB.
func WithOutputLimit(n int64) Option { return func(c *config) { c.outputLimit = n } }

// WithGrace is how long a stopped command (Ctrl-C, SIGTERM) may take to
// exit before it is killed. Default: 10s.
func WithGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// WithKubeTrackingURI replaces MLFLOW_TRACKING_URI in a rendered Kubernetes
// Job (MLflow: $KUBE_MLFLOW_TRACKING_URI). Default: none.
func WithKubeTrackingURI(uri string) Option { return func(c *config) { c.kubeTrackingURI = uri } }
