package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	ociregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/berthml/berth/internal/ortest"
)

// mlflow3LogModelSeqs are the exchanges of the MLflow 3.6 transcript up to
// the end of step 008: an experiment and a run, then
// mlflow.sklearn.log_model and mlflow.onnx.log_model, each registering its
// logged model (testdata/conformance/mlflow3/README.md, "Logged models").
const mlflow3LogModelLastSeq = 63

// TestLoggedModelEndToEnd logs a model the MLflow 3 way on the real
// binaries: the MLflow 3.6 client's own requests (with the ONNX file's
// bytes as recorded) go to `berth server`, which must answer each as MLflow
// did; the registered version then serves through `berth serve` by
// models:/NAME@alias and by models:/m-<id>, and scores.
func TestLoggedModelEndToEnd(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)

	ids := replayLogModel(t, registry)
	const onnxModel, recordedID = "conf3-iris-onnx-213508", "m-5cd539548d294969ba7c308a70c70cb2"
	modelID := ids[recordedID]
	if modelID == "" || modelID == recordedID {
		t.Fatalf("berth gave the ONNX logged model no id of its own: %v", ids)
	}
	var dl struct {
		ArtifactURI string `json:"artifact_uri"`
	}
	lmGetJSON(t, registry+"/api/2.0/mlflow/model-versions/get-download-uri?name="+onnxModel+"&version=1", &dl)
	if want := "mlflow-artifacts:/1/models/" + modelID + "/artifacts"; dl.ArtifactURI != want {
		t.Errorf("get-download-uri = %q, want %q", dl.ArtifactURI, want)
	}
	lmPost(t, registry+"/api/2.0/mlflow/registered-models/alias", `{"name": "`+onnxModel+`", "alias": "champion", "version": "1"}`)

	reg := []string{"--registry-uri", registry, "--cache-dir", filepath.Join(data, "cache"), "--ort-lib", lib}
	for _, uri := range []string{"models:/" + onnxModel + "@champion", "models:/" + modelID} {
		serving := startBerth(t, bin, append([]string{"serve", uri, "--port", "0"}, reg...)...)
		resp, err := http.Post(serving+"/invocations", "application/json",
			strings.NewReader(`{"inputs": {"input": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("scoring %s: %s %s", uri, resp.Status, body)
		}
		var out struct {
			Predictions [][]float64 `json:"predictions"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.Predictions) != 2 || len(out.Predictions[0]) != 3 {
			t.Fatalf("scoring %s: %s (%v)", uri, body, err)
		}
		// Setosa first, virginica second: the recorded logistic
		// regression, not just any model.
		if !(out.Predictions[0][0] > 0.5 && out.Predictions[1][2] > 0.5) {
			t.Errorf("scoring %s: probabilities %v", uri, out.Predictions)
		}
	}

	// berth pack takes the logged model too, and records the push on it.
	oci := httptest.NewServer(ociregistry.New(ociregistry.Logger(log.New(io.Discard, "", 0))))
	defer oci.Close()
	host := strings.TrimPrefix(oci.URL, "http://")
	out := runBerth(t, bin, "pack", "models:/"+modelID, "--artifact", "--tag", host+"/iris-onnx:1", "--insecure",
		"--registry-uri", registry, "--cache-dir", filepath.Join(data, "cache"))
	if !strings.Contains(out, "pushed ModelPack artifact "+host+"/iris-onnx:1@sha256:") {
		t.Fatalf("pack models:/%s:\n%s", modelID, out)
	}
	var lm struct {
		Model struct {
			Info struct {
				Tags []struct{ Key, Value string } `json:"tags"`
			} `json:"info"`
		} `json:"model"`
	}
	lmGetJSON(t, registry+"/api/2.0/mlflow/logged-models/"+modelID, &lm)
	recorded := ""
	for _, tg := range lm.Model.Info.Tags {
		if tg.Key == "berth.artifact" {
			recorded = tg.Value
		}
	}
	if !strings.HasPrefix(recorded, host+"/iris-onnx:1@sha256:") {
		t.Errorf("logged model tags %+v: want berth.artifact with the pushed digest", lm.Model.Info.Tags)
	}
}

// replayLogModel sends the transcript's first exchanges to the server at
// base, each as the MLflow client sent it with MLflow's ids replaced by
// berth's, and fails on any status MLflow did not answer. It returns the
// id map.
func replayLogModel(t *testing.T, base string) map[string]string {
	t.Helper()
	f, err := os.Open("../../testdata/conformance/mlflow3/mlflow3-rest-transcript.jsonl")
	if err != nil {
		t.Fatalf("the MLflow 3 transcript is committed under testdata/conformance/mlflow3/: %v", err)
	}
	defer f.Close()
	ids := map[string]string{}
	idPattern := regexp.MustCompile(`^(m-)?[0-9a-f]{32}$`)
	translate := func(s string) string {
		keys := make([]string, 0, len(ids))
		for k := range ids {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
		for _, k := range keys {
			s = strings.ReplaceAll(s, k, ids[k])
		}
		return s
	}
	var learn func(want, got any)
	learn = func(want, got any) {
		w, wok := want.(map[string]any)
		g, gok := got.(map[string]any)
		if !wok || !gok {
			return
		}
		for k, wv := range w {
			ws, ok1 := wv.(string)
			gs, ok2 := g[k].(string)
			if ok1 && ok2 && (k == "run_id" || k == "model_id") && idPattern.MatchString(ws) {
				if _, known := ids[ws]; !known {
					ids[ws] = gs
				}
				continue
			}
			learn(wv, g[k])
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	replayed := 0
	for sc.Scan() {
		var e struct {
			Seq             int               `json:"seq"`
			Method          string            `json:"method"`
			Path            string            `json:"path"`
			Query           string            `json:"query"`
			RequestHeaders  map[string]string `json:"request_headers"`
			RequestBodyKind string            `json:"request_body_kind"`
			RequestBody     json.RawMessage   `json:"request_body"`
			Status          int               `json:"status"`
			ResponseKind    string            `json:"response_body_kind"`
			ResponseBody    json.RawMessage   `json:"response_body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Seq > mlflow3LogModelLastSeq {
			break
		}
		var body []byte
		switch e.RequestBodyKind {
		case "json":
			body = []byte(translate(string(e.RequestBody)))
		case "text":
			var v struct{ Text string }
			json.Unmarshal(e.RequestBody, &v)
			body = []byte(translate(v.Text))
		case "base64":
			var v struct{ Base64 string }
			json.Unmarshal(e.RequestBody, &v)
			if body, err = base64.StdEncoding.DecodeString(v.Base64); err != nil {
				t.Fatal(err)
			}
		}
		target := base + translate(e.Path)
		if e.Query != "" {
			target += "?" + translate(e.Query)
		}
		req, err := http.NewRequest(e.Method, target, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range e.RequestHeaders {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != e.Status {
			t.Fatalf("seq %d %s %s: %s %s, MLflow answered %d", e.Seq, e.Method, e.Path, resp.Status, got, e.Status)
		}
		if e.ResponseKind == "json" && e.Status == http.StatusOK {
			var w, g any
			json.Unmarshal(e.ResponseBody, &w)
			json.Unmarshal(got, &g)
			learn(w, g)
		}
		replayed++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if replayed != mlflow3LogModelLastSeq {
		t.Fatalf("replayed %d exchanges, want %d", replayed, mlflow3LogModelLastSeq)
	}
	return ids
}

func lmGetJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, v) != nil {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
}

func lmPost(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s %s", url, resp.Status, b)
	}
}
