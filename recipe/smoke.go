package recipe

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// smoke serves the model with `berth serve` (a child process of the same
// binary, on a free loopback port), scores the step's data through
// /invocations and checks every row gets a prediction (and, for a
// classifier with min_accuracy, that enough are right).
func (rn *Runner) smoke(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	cols, rows, truth, err := readEvalCSV(filepath.Join(rec.Dir, s.Data), rec.TargetCol)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	logf, err := os.Create(filepath.Join(out, "serve.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	var stop func()
	if s.Runtime == "podman" {
		stop, err = rn.startImage(ctx, st, port, logf, c)
	} else {
		stop, err = rn.startServe(ctx, st, port, logf, c)
	}
	if err != nil {
		return err
	}
	defer stop()
	base := "http://127.0.0.1:" + port
	hc := &http.Client{Timeout: 30 * time.Second}
	if err := waitReady(ctx, hc, base+"/v2/health/ready"); err != nil {
		return fmt.Errorf("%s never got ready (see serve.log): %w", c.Values["served_by"], err)
	}
	body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": cols, "data": rows}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/invocations", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("scoring through berth serve: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	c.Metrics["score_seconds"] = time.Since(start).Seconds()
	if err := os.WriteFile(filepath.Join(out, "predictions.json"), answer, 0o644); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("berth serve answered %s: %s", resp.Status, bytes.TrimSpace(answer))
	}
	var pr struct {
		Predictions []any `json:"predictions"`
	}
	if err := json.Unmarshal(answer, &pr); err != nil {
		return fmt.Errorf("berth serve's answer is not MLflow's {\"predictions\": [...]}: %w", err)
	}
	c.Metrics["rows"] = float64(len(rows))
	c.Metrics["predictions"] = float64(len(pr.Predictions))
	if len(pr.Predictions) != len(rows) {
		return fmt.Errorf("berth serve answered %d predictions for %d rows", len(pr.Predictions), len(rows))
	}
	if rec.ModelType == "classifier" {
		right := 0
		for i, p := range pr.Predictions {
			if l, ok := predictedLabel(p); ok && sameLabel(l, truth[i]) {
				right++
			}
		}
		acc := float64(right) / float64(len(rows))
		c.Metrics["accuracy"] = acc
		if acc < s.MinAccuracy {
			return fmt.Errorf("the served model labels %.4f of the rows right, min_accuracy is %v", acc, s.MinAccuracy)
		}
	}
	return nil
}

func waitReady(ctx context.Context, hc *http.Client, url string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%s answered %d", url, resp.StatusCode)
			}
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readEvalCSV reads labelled CSV: the feature columns (numbers where they
// parse) and the target column's values.
func readEvalCSV(path, target string) (cols []string, rows [][]any, truth []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, nil, nil, fmt.Errorf("%s: no rows", path)
	}
	ti := slices.Index(recs[0], target)
	if ti < 0 {
		return nil, nil, nil, fmt.Errorf("%s: no column %q", path, target)
	}
	for i, h := range recs[0] {
		if i != ti {
			cols = append(cols, h)
		}
	}
	for _, r := range recs[1:] {
		var row []any
		for i, v := range r {
			if i == ti {
				truth = append(truth, v)
				continue
			}
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				row = append(row, x)
			} else {
				row = append(row, v)
			}
		}
		rows = append(rows, row)
	}
	return cols, rows, truth, nil
}

// predictedLabel finds the label in one prediction: a scalar, or the first
// field of an object whose name says label.
func predictedLabel(p any) (string, bool) {
	switch v := p.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if strings.Contains(strings.ToLower(k), "label") {
				return predictedLabel(v[k])
			}
		}
	case []any:
		if len(v) == 1 {
			return predictedLabel(v[0])
		}
	}
	return "", false
}

func sameLabel(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// startServe runs berth serve on the model directory as a child process.
func (rn *Runner) startServe(ctx context.Context, st *state, port string, logf io.Writer, c *Card) (func(), error) {
	c.Values["served_by"] = "berth serve (child process, model directory)"
	cmd := exec.CommandContext(ctx, rn.berth, "serve", st.model, "--host", "127.0.0.1", "--port", port)
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, rn.env
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting berth serve: %w", err)
	}
	return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
}

// startImage runs the pack step's image (an OCI layout) under podman on
// the host network, as ENVIRONMENT-style rootful podman runs it: the
// containers.conf and storage come from the environment
// (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF).
func (rn *Runner) startImage(ctx context.Context, st *state, port string, logf io.Writer, c *Card) (func(), error) {
	if st.layout == "" {
		return nil, errors.New("runtime podman serves the pack step's image: give a pack step with format oci-layout before smoke")
	}
	tag, err := layoutTag(st.layout)
	if err != nil {
		return nil, err
	}
	// podman names an oci: image after its path, which must be a valid
	// reference: the work directory's may not be (.berth-recipe).
	link, err := os.MkdirTemp("", "berthrecipe")
	if err != nil {
		return nil, err
	}
	cleanLink := func() { os.RemoveAll(link) }
	if err := os.Symlink(st.layout, filepath.Join(link, "image")); err != nil {
		cleanLink()
		return nil, err
	}
	podman := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "podman", args...)
		cmd.Stdout, cmd.Stderr, cmd.Env = &out, logf, rn.env
		err := cmd.Run()
		return strings.TrimSpace(out.String()), err
	}
	pulled, err := podman("pull", "-q", "oci:"+filepath.Join(link, "image")+":"+tag)
	if err != nil {
		cleanLink()
		return nil, fmt.Errorf("podman pull of the packed image: %w", err)
	}
	fields := strings.Fields(pulled)
	image := fields[len(fields)-1]
	id, err := podman("run", "-d", "--network=host", image, "--host", "127.0.0.1", "--port", port)
	if err != nil {
		podman("rmi", "-f", image)
		cleanLink()
		return nil, fmt.Errorf("podman run of the packed image: %w", err)
	}
	c.Values["served_by"] = "the packed image under podman (" + image[:min(12, len(image))] + ")"
	return func() {
		if logs, err := podman("logs", id); err == nil {
			fmt.Fprintln(logf, logs)
		}
		podman("rm", "-f", id)
		podman("rmi", "-f", image)
		cleanLink()
	}, nil
}

// layoutTag is the tag of the single image in an OCI layout.
func layoutTag(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return "", err
	}
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) != 1 {
		return "", fmt.Errorf("%s: not a layout of one image", dir)
	}
	tag := idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"]
	if tag == "" {
		return "", fmt.Errorf("%s: the image has no tag", dir)
	}
	return tag, nil
}
