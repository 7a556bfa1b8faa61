package project

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// KubeConfig is MLflow's Kubernetes backend configuration (the
// --backend-config JSON file).
type KubeConfig struct {
	// JobTemplatePath is kube-job-template-path: a Job manifest whose
	// first container MLflow fills in.
	JobTemplatePath string `json:"kube-job-template-path"`
	// RepositoryURI is repository-uri: the image repository the project's
	// image is named in.
	RepositoryURI string `json:"repository-uri"`
	// KubeContext is kube-context (berth renders the Job and does not
	// submit it, so it is only checked).
	KubeContext string `json:"kube-context,omitempty"`

	template []byte
}

// LoadKubeConfig reads a --backend-config file with MLflow's checks and
// messages, and the job template it names.
func LoadKubeConfig(file string) (*KubeConfig, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, execErr("Backend_config file not found.")
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("reading --backend-config %s: %w", file, err)
	}
	k := &KubeConfig{}
	s := func(key string) (string, bool) {
		v, ok := raw[key]
		if !ok {
			return "", false
		}
		str, isStr := v.(string)
		return str, isStr
	}
	var ok bool
	if k.JobTemplatePath, ok = s("kube-job-template-path"); !ok {
		return nil, execErr("'kube-job-template-path' attribute must be specified in backend_config.")
	}
	if k.template, err = os.ReadFile(k.JobTemplatePath); err != nil {
		return nil, execErr("Could not find 'kube-job-template-path': %s", k.JobTemplatePath)
	}
	k.KubeContext, _ = s("kube-context")
	if k.RepositoryURI, ok = s("repository-uri"); !ok {
		return nil, execErr("Could not find 'repository-uri' in backend_config.")
	}
	return k, nil
}

// WithTemplate sets the job template's text (what LoadKubeConfig reads
// from JobTemplatePath).
func (k *KubeConfig) WithTemplate(b []byte) *KubeConfig { k.template = b; return k }

// Job is what RenderJob fills into the template.
type Job struct {
	// ProjectName names the Job (NAME-TIMESTAMP) and its container.
	ProjectName string
	// Image is the container's image.
	Image string
	// Command is the entry point's command, split into words as MLflow
	// does (each word shell-quoted again, as MLflow's _get_run_command).
	Command string
	// Env is appended to the container's environment, in order.
	Env [][2]string
	// Now stamps the Job's name.
	Now time.Time
}

// RenderJob fills MLflow's Kubernetes job template as MLflow's
// _get_kubernetes_job_definition does: metadata.name, and the first
// container's name, image, command and env (appended to any env the
// template has).
func RenderJob(template []byte, j Job) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("reading the job template: %w", err)
	}
	meta, ok := doc["metadata"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the job template has no metadata mapping")
	}
	spec, _ := doc["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	podSpec, _ := tmpl["spec"].(map[string]any)
	containers, _ := podSpec["containers"].([]any)
	if len(containers) == 0 {
		return nil, fmt.Errorf("the job template has no spec.template.spec.containers")
	}
	c0, ok := containers[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the job template's first container is not a mapping")
	}
	words, err := SplitWords(j.Command)
	if err != nil {
		return nil, fmt.Errorf("splitting the command %q: %w", j.Command, err)
	}
	cmd := make([]any, len(words))
	for i, w := range words {
		cmd[i] = Quote(w)
	}
	// MLflow's timestamp: %Y-%m-%d-%H-%M-%S-%f.
	meta["name"] = fmt.Sprintf("%s-%s-%06d", j.ProjectName, j.Now.Format("2006-01-02-15-04-05"), j.Now.Nanosecond()/1000)
	c0["name"] = j.ProjectName
	c0["image"] = j.Image
	c0["command"] = cmd
	env, _ := c0["env"].([]any)
	for _, kv := range j.Env {
		env = append(env, map[string]any{"name": kv[0], "value": kv[1]})
	}
	c0["env"] = env
	return yaml.Marshal(doc)
}

// SplitWords is Python's shlex.split (POSIX mode): words separated by
// blanks, with '...', "..." and backslash escapes.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("no closing quotation")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("no closing quotation")
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, fmt.Errorf("no escaped character")
			}
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// kubernetes is the kubernetes backend: the run is tagged as MLflow tags
// it and the Job rendered; berth does not build or push the image nor
// submit the Job (see docs/projects.md). The run stays RUNNING for the
// Job's MLflow client to end.
func (r *runner) kubernetes(ctx context.Context, res *Result, command string) (*Result, error) {
	k := r.req.Kube
	if err := r.setTag(ctx, TagEnv, "docker"); err != nil {
		return res, r.abort(ctx, res, err)
	}
	if err := r.setTag(ctx, TagBackend, BackendKubernetes); err != nil {
		return res, r.abort(ctx, res, err)
	}
	if err := validateDocker(r.proj); err != nil {
		return res, r.abort(ctx, res, err)
	}
	image := k.RepositoryURI
	if r.src.Commit != "" {
		image += ":" + r.src.Commit[:7]
	}
	if err := r.setTag(ctx, TagDockerImageURI, image); err != nil {
		return res, r.abort(ctx, res, err)
	}
	if r.req.RunName != "" {
		if err := r.setTag(ctx, TagRunName, r.req.RunName); err != nil {
			return res, r.abort(ctx, res, err)
		}
	}
	tracking := r.cfg.trackingURI
	if r.cfg.kubeTrackingURI != "" {
		tracking = r.cfg.kubeTrackingURI
	}
	name := r.proj.Name
	job, err := RenderJob(k.template, Job{ProjectName: name, Image: image, Command: command, Now: r.cfg.now(),
		Env: [][2]string{{"MLFLOW_RUN_ID", r.runID}, {"MLFLOW_TRACKING_URI", tracking}, {"MLFLOW_EXPERIMENT_ID", r.expID}}})
	if err != nil {
		return res, r.abort(ctx, res, err)
	}
	res.Command, res.Job = command, job
	return res, nil
}
