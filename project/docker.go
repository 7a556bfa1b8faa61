package project

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// DockerWorkdir is where a docker_env project's directory is mounted in
// the container, and the command's working directory there (MLflow copies
// the project to the same path when it builds an image).
const DockerWorkdir = "/mlflow/projects/code"

// dockerCommand tags the run with the image, as MLflow does, and returns
// the command wrapped in podman run: the project mounted at DockerWorkdir,
// the host network (the tracking server on 127.0.0.1 stays reachable), the
// docker_env volumes, and MLflow's three variables plus the docker_env
// environment.
func (r *runner) dockerCommand(ctx context.Context, command string) (string, error) {
	d := r.proj.Docker
	if err := validateDocker(r.proj); err != nil {
		return "", err
	}
	podman, err := exec.LookPath(r.cfg.podman)
	if err != nil {
		return "", fmt.Errorf("docker_env projects run with podman, which was not found (apt-get install podman runc): %w", err)
	}
	id, err := r.imageID(ctx, podman, d.Image)
	if err != nil {
		return "", err
	}
	if err := r.setTag(ctx, TagDockerImageURI, d.Image); err != nil {
		return "", err
	}
	if err := r.setTag(ctx, TagDockerImageID, "sha256:"+strings.TrimPrefix(id, "sha256:")); err != nil {
		return "", err
	}
	args, err := r.dockerArgs(podman)
	if err != nil {
		return "", err
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = Quote(a)
	}
	return strings.Join(quoted, " ") + " " + command, nil
}

func (r *runner) dockerArgs(podman string) ([]string, error) {
	d := r.proj.Docker
	args := []string{podman, "run", "--rm", "--network=host", "-v", r.src.Dir + ":" + DockerWorkdir, "-w", DockerWorkdir}
	env := [][2]string{{"MLFLOW_RUN_ID", r.runID}, {"MLFLOW_TRACKING_URI", r.cfg.trackingURI}, {"MLFLOW_EXPERIMENT_ID", r.expID}}
	if r.c.Token != "" {
		env = append(env, [2]string{"MLFLOW_TRACKING_TOKEN", r.c.Token})
	}
	host := map[string]string{}
	for _, kv := range r.cfg.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			host[k] = v
		}
	}
	for _, e := range d.Environment {
		if !e.Copy {
			env = append(env, [2]string{e.Name, e.Value})
			continue
		}
		v, ok := host[e.Name]
		if !ok {
			names := make([]string, len(d.Environment))
			for i, e := range d.Environment {
				names[i] = e.Name
			}
			return nil, execErr("This project expects the %s environment variables to be set on the machine running the "+
				"project, but %s was not set. Please ensure all expected environment variables are set", strings.Join(names, ", "), e.Name)
		}
		env = append(env, [2]string{e.Name, v})
	}
	for _, v := range d.Volumes {
		args = append(args, "-v", v)
	}
	for _, kv := range env {
		args = append(args, "-e", kv[0]+"="+kv[1])
	}
	return append(args, d.Image), nil
}

// imageID returns the image's id, pulling the image first when podman
// does not have it (as MLflow does without --build-image).
func (r *runner) imageID(ctx context.Context, podman, image string) (string, error) {
	inspect := func() (string, error) {
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, podman, "image", "inspect", "--format", "{{.Id}}", image)
		cmd.Env, cmd.Stdout, cmd.Stderr = r.cfg.env, &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("podman image inspect %s: %w: %s", image, err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	if id, err := inspect(); err == nil {
		return id, nil
	}
	r.say("=== Pulling %s ===", image)
	cmd := exec.CommandContext(ctx, podman, "pull", image)
	cmd.Env, cmd.Stdout, cmd.Stderr = r.cfg.env, r.log, r.log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("podman pull %s: %w (see the run's %s)", image, err, LogArtifact)
	}
	return inspect()
}

// validateDocker is MLflow's validate_docker_env.
func validateDocker(p *Project) error {
	if p.Name == "" {
		return execErr("Project name in MLProject must be specified when using docker for image tagging.")
	}
	return nil
}
