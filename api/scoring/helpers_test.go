package scoring_test

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

var irisColumns = []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}

// colSchema is a column-based schema of the named columns, all of type typ
// and required.
func colSchema(typ flavors.ColType, names ...string) *flavors.Schema {
	s := &flavors.Schema{}
	for _, n := range names {
		s.Columns = append(s.Columns, flavors.ColSpec{Name: n, Type: typ, Required: true})
	}
	return s
}

var longOutput = &flavors.Schema{Columns: []flavors.ColSpec{{Type: flavors.ColLong, Required: true}}}

// irisOutputs are the outputs of an skl2onnx iris classifier.
var irisOutputs = []flavors.TensorInfo{
	{Name: "output_label", DType: flavors.Int64, Shape: []int64{-1}},
	{Name: "output_probability", DType: flavors.Map, Shape: []int64{-1}},
}

// colspecSpec is the conformance transcript's ColSpec model: double ×4 →
// long, served as an ONNX model whose input is float64 [-1, 4].
func colspecSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, irisColumns...), Outputs: longOutput},
		Inputs:    []flavors.TensorInfo{{Name: "input", DType: flavors.Float64, Shape: []int64{-1, 4}}},
		Outputs:   irisOutputs,
	}
}

// tensorSpec is the transcript's tensor model: Tensor(float64, [-1, 4]) →
// Tensor(int64, [-1]).
func tensorSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{
			Inputs:  &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float64, Shape: []int64{-1, 4}}}},
			Outputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Int64, Shape: []int64{-1}}}},
		},
		Inputs:  []flavors.TensorInfo{{Name: "input", DType: flavors.Float64, Shape: []int64{-1, 4}}},
		Outputs: irisOutputs,
	}
}

// fakeIris stands in for an iris classifier on the transcript's probe rows:
// petal length under 2.5 is setosa (0), else virginica (2). It returns the
// label and probability outputs of an skl2onnx classifier.
func fakeIris(t testing.TB, in *flavors.Tensor) []*flavors.Tensor {
	t.Helper()
	var x []float64
	switch d := in.Data.(type) {
	case []float64:
		x = d
	case []float32:
		for _, v := range d {
			x = append(x, float64(v))
		}
	default:
		t.Fatalf("input data is %T", in.Data)
	}
	if len(in.Shape) != 2 || in.Shape[1] != 4 {
		t.Fatalf("input shape %v, want [N 4]", in.Shape)
	}
	n := int(in.Shape[0])
	labels := make([]int64, n)
	probs := make([]map[string]float32, n)
	for i := range n {
		if x[i*4+2] >= 2.5 {
			labels[i] = 2
		}
		probs[i] = map[string]float32{"0": 0.97, "1": 0.02, "2": 0.01}
	}
	return []*flavors.Tensor{
		{Name: "output_label", DType: flavors.Int64, Shape: []int64{int64(n)}, Data: labels},
		{Name: "output_probability", DType: flavors.Map, Shape: []int64{int64(n)}, Data: probs},
	}
}

// exchange is one record of mlflow-scoring-transcript.jsonl.
type exchange struct {
	N             int     `json:"n"`
	Section       string  `json:"section"`
	Case          string  `json:"case"`
	Method        string  `json:"method"`
	Path          string  `json:"path"`
	ContentType   *string `json:"request_content_type"`
	Body          *string `json:"request_body"`
	BodyHex       string  `json:"request_body_hex"`
	Status        int     `json:"status"`
	ResponseBody  string  `json:"response_body"`
	ErrorCode     string  `json:"error_code"`
	ErrorMessage  string  `json:"error_message"`
	ResponseCType string  `json:"response_content_type"`
}

func (e *exchange) body(t testing.TB) []byte {
	if e.BodyHex != "" {
		b, err := hex.DecodeString(e.BodyHex)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if e.Body == nil {
		return nil
	}
	return []byte(*e.Body)
}

func (e *exchange) contentType() string {
	if e.ContentType == nil {
		return ""
	}
	return *e.ContentType
}

// transcriptPath is the scoring transcript recorded from MLflow 2.17.2,
// committed with the repository (testdata/conformance/README.md).
const transcriptPath = "../../testdata/conformance/mlflow-scoring-transcript.jsonl"

// readTranscript returns the transcript's POST /invocations exchanges. A
// missing file fails the test: the transcript is part of the repository.
func readTranscript(t testing.TB) []exchange {
	t.Helper()
	f, err := os.Open(transcriptPath)
	if err != nil {
		t.Fatalf("the MLflow scoring transcript is committed under testdata/conformance/ (git checkout -- testdata/conformance): %v", err)
	}
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Method == "POST" && e.Path == "/invocations" {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func fmtV(v any) string { return fmt.Sprint(v) }
