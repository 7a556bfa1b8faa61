package scoring

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

// decodeBothWays decodes body with dense arrays on and off.
func decodeBothWays(dec *Decoder, body []byte) (dense, nodes *Request, denseErr, nodesErr error) {
	dense, denseErr = dec.Decode(FormatJSON, body)
	denseRuns = false
	defer func() { denseRuns = true }()
	nodes, nodesErr = dec.Decode(FormatJSON, body)
	return dense, nodes, denseErr, nodesErr
}

// denseDecoders are tensor and column models of the numeric and other
// dtypes the dense path converts to, or leaves to the general path.
func denseDecoders(t testing.TB) []*Decoder {
	var decs []*Decoder
	for _, dt := range []flavors.DType{flavors.Float32, flavors.Float64, flavors.Int64, flavors.Int8,
		flavors.Uint8, flavors.Uint64, flavors.Bool, flavors.String, flavors.Float16} {
		spec := ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: dt, Shape: []int64{-1, -1}}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: dt, Shape: []int64{-1, -1}}},
		}
		dec, err := NewDecoder(spec)
		if err != nil {
			t.Fatal(err)
		}
		decs = append(decs, dec)
	}
	// A double signature column feeding an int32 input, and an int column
	// feeding a float input: the signature's type and the input's differ.
	for _, c := range []struct {
		col flavors.ColType
		in  flavors.DType
	}{{"double", flavors.Int32}, {"long", flavors.Float32}, {"integer", flavors.Int64}} {
		spec := ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: mustDType(c.col), Shape: []int64{-1, -1}}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: c.in, Shape: []int64{-1, -1}}},
		}
		dec, err := NewDecoder(spec)
		if err != nil {
			t.Fatal(err)
		}
		decs = append(decs, dec)
	}
	return decs
}

func mustDType(c flavors.ColType) flavors.DType {
	dt, _ := c.DType()
	return dt
}

func checkBothWays(t *testing.T, decs []*Decoder, body []byte) {
	t.Helper()
	for _, dec := range decs {
		dense, nodes, denseErr, nodesErr := decodeBothWays(dec, body)
		if fmt.Sprint(denseErr) != fmt.Sprint(nodesErr) {
			t.Fatalf("%s for %s: dense arrays give error %v, nodes %v", body, dec.inputs[0].info.DType, denseErr, nodesErr)
		}
		if denseErr == nil && !reflect.DeepEqual(dense, nodes) {
			t.Fatalf("%s for %s: dense arrays give %+v, nodes %+v", body, dec.inputs[0].info.DType,
				dense.Inputs[0], nodes.Inputs[0])
		}
	}
}

// TestDenseMatchesNodes: a body decodes to the same request, or the same
// error, with dense arrays and with a node per number, for every shape
// and dtype: floats, integers in and out of range, fractions for an
// integer input, booleans, strings, ragged rows, mixed lists.
func TestDenseMatchesNodes(t *testing.T) {
	decs := denseDecoders(t)
	row := func(vals ...string) string { return "[" + strings.Join(vals, ", ") + "]" }
	ints := row("1", "2", "3", "4", "5", "6", "7", "8")
	for _, body := range []string{
		`{"inputs": [` + ints + `, ` + ints + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "8.5") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "300") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "-1") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "9007199254740993") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "1e2") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "1e400") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "-0") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "8", "9") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", `"8"`) + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "true") + `]}`,
		`{"inputs": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "null") + `]}`,
		`{"inputs": [` + ints + `, [1, 2, 3, 4, 5, 6, 7, [8]]]}`,
		`{"inputs": [` + ints + `, 5]}`,
		`{"inputs": [[` + ints + `], [` + ints + `]]}`,
		`{"inputs": ` + ints + `}`,
		`{"instances": [` + ints + `, ` + row("0.5", "-0.25", "0.1", "1.7976931348623157e308", "-3.5e38", "65504", "65520", "-0") + `]}`,
		`{"inputs": {"x": [` + ints + `, ` + ints + `]}}`,
		`{"dataframe_split": {"columns": [0, 1, 2, 3, 4, 5, 6, 7], "data": [` + ints + `, ` + ints + `]}}`,
		`{"dataframe_split": {"data": [` + ints + `, ` + row("1", "2", "3", "4", "5", "6", "7", "8", "9") + `]}}`,
		`{"dataframe_records": [{"a": ` + ints + `}, {"a": ` + ints + `}]}`,
		`{"inputs": [` + ints + `, ` + ints + `], "params": {"k": ` + ints + `}}`,
	} {
		checkBothWays(t, decs, []byte(body))
	}
	// MLflow's own example for the OCR classifier: 27,648 numbers in 432
	// dense lists of 192.
	ocr, err := os.ReadFile("../../testdata/models/ocr_cls/serving_input_example.json")
	if err != nil {
		t.Fatalf("the OCR fixture (testdata/models/ocr_cls): %v", err)
	}
	var ocrDecs []*Decoder
	for _, dt := range []flavors.DType{flavors.Float32, flavors.Float64} {
		shape := []int64{-1, 3, 48, 192}
		dec, err := NewDecoder(ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: dt, Shape: shape}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: dt, Shape: shape}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ocrDecs = append(ocrDecs, dec)
	}
	checkBothWays(t, ocrDecs, ocr)
	if req, err := ocrDecs[0].Decode(FormatJSON, ocr); err != nil || len(req.Inputs[0].Data.([]float32)) != 27648 {
		t.Fatalf("the OCR example: %v", err)
	}
}

// FuzzDenseMatchesNodes: TestDenseMatchesNodes over any body.
func FuzzDenseMatchesNodes(f *testing.F) {
	for _, s := range []string{
		`{"inputs": [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8.5]]}`,
		`{"inputs": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 1e400]]}`,
		`{"instances": [[[-0.4823529124259949, 0.49803924560546875, 1e23, 9007199254740993, -0, 4.9e-324, 1e-400, 300]]]}`,
		`{"dataframe_split": {"columns": [0, 1, 2, 3, 4, 5, 6, 7], "data": [[1, 2, 3, 4, 5, 6, 7, 8]]}}`,
		`{"inputs": {"x": [[0, 1, 0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1, "1"]]}}`,
	} {
		f.Add(s)
	}
	decs := denseDecoders(f)
	f.Fuzz(func(t *testing.T, body string) {
		checkBothWays(t, decs, []byte(body))
	})
}
