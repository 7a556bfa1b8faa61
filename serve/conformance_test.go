package serve_test

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// exchange is one record of MLflow's recorded scoring transcript.
type exchange struct {
	N                  int     `json:"n"`
	Section            string  `json:"section"`
	Case               string  `json:"case"`
	Method             string  `json:"method"`
	Path               string  `json:"path"`
	RequestContentType *string `json:"request_content_type"`
	RequestBody        *string `json:"request_body"`
	RequestBodyHex     string  `json:"request_body_hex"`
	Status             int     `json:"status"`
	ResponseType       string  `json:"response_content_type"`
	ResponseBody       string  `json:"response_body"`
	ErrorCode          string  `json:"error_code"`
}

// deliberate lists where berth answers differently from MLflow 2.17.2 on
// purpose: MLflow answers a client's mistake with a 5xx HTML page there.
var deliberate = map[string]struct {
	status int
	code   string
	why    string
}{
	"no Content-Type header":                       {415, "", "MLflow crashes on None.split (500 HTML); a missing type is the client's mistake: 415 like any unsupported type"},
	"non-UTF-8 byte 0xE9 in body, charset=latin-1": {415, "", "MLflow decodes before checking the charset and 500s; berth checks the charset first: latin-1 is refused with 415 as in case 'charset=latin-1'"},
}

// TestMLflowScoringTranscript replays every exchange MLflow's scoring server
// answered, against berth serving ONNX models with the same signatures, and
// compares status codes, error codes and predictions.
func TestMLflowScoringTranscript(t *testing.T) {
	path := filepath.Join("..", "testdata", "conformance", "mlflow-scoring-transcript.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the MLflow scoring transcript is committed under testdata/conformance/ (git checkout -- testdata/conformance): %v", err)
	}
	defer f.Close()
	servers := map[string]*testServer{
		"colspec": newTestServer(t, []namedModel{{"iris", "iris_mlflow_colspec"}}),
		"tensor":  newTestServer(t, []namedModel{{"iris", "iris_mlflow_tensor"}}),
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		var x exchange
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("transcript line %d: %v", n+1, err)
		}
		n++
		t.Run(x.Section+"/"+x.Case, func(t *testing.T) { replay(t, servers[x.Section], x) })
	}
	if n < 100 {
		t.Fatalf("replayed only %d exchanges", n)
	}
}

func replay(t *testing.T, ts *testServer, x exchange) {
	var body []byte
	switch {
	case x.RequestBodyHex != "":
		b, err := hex.DecodeString(x.RequestBodyHex)
		if err != nil {
			t.Fatal(err)
		}
		body = b
	case x.RequestBody != nil:
		body = []byte(*x.RequestBody)
	}
	ct := ""
	if x.RequestContentType != nil {
		ct = *x.RequestContentType
	}
	r := do(t, x.Method, ts.URL+x.Path, ct, body)

	wantStatus, wantCode := x.Status, x.ErrorCode
	if d, ok := deliberate[x.Case]; ok {
		t.Logf("berth differs on purpose: %s", d.why)
		wantStatus, wantCode = d.status, d.code
	}
	if r.status != wantStatus {
		t.Fatalf("status %d, MLflow %d (%s)\nberth: %s\nMLflow: %s", r.status, wantStatus, x.Case, r.body, x.ResponseBody)
	}
	switch {
	case wantStatus == 415:
		if r.contentType != "text/plain; charset=utf-8" {
			t.Errorf("415 content type %q, MLflow answers text/plain", r.contentType)
		}
	case wantStatus >= 400:
		// MLflow's 404/405 are Flask HTML pages; berth answers its error JSON.
		got := r.json(t)
		if got["message"] == nil || got["message"] == "" {
			t.Errorf("error without a message: %s", r.body)
		}
		if wantCode != "" && got["error_code"] != wantCode {
			t.Errorf("error_code %v, MLflow %s\nberth: %s\nMLflow: %s", got["error_code"], wantCode, r.body, x.ResponseBody)
		}
	case x.Path == "/invocations":
		var got, want any
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("berth answered invalid JSON: %s", r.body)
		}
		if err := json.Unmarshal([]byte(x.ResponseBody), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("predictions differ\nberth:  %.300s\nMLflow: %.300s", r.body, x.ResponseBody)
		}
	default: // /ping, /health, /version
		if r.contentType != x.ResponseType {
			t.Errorf("content type %q, MLflow %q", r.contentType, x.ResponseType)
		}
		if x.Path != "/version" && string(r.body) != x.ResponseBody {
			t.Errorf("body %q, MLflow %q", r.body, x.ResponseBody)
		}
	}
}
