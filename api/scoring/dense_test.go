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

// frameDecoders read a dataframe_split by columns named a, b, c and d:
// stacked into one input, each into its own, through the signature's type
// and the input's where they differ, with an optional column, and with
// column types that differ within one input (not fromDenseSplit's).
func frameDecoders(t testing.TB) []*Decoder {
	x := func(dt flavors.DType, width int64) []flavors.TensorInfo {
		return []flavors.TensorInfo{{Name: "x", DType: dt, Shape: []int64{-1, width}}}
	}
	optional := columnsOf("double", "a", "b", "c", "d")
	optional[3].Required = false
	var decs []*Decoder
	for _, c := range []struct {
		cols   []flavors.ColSpec
		inputs []flavors.TensorInfo
	}{
		{columnsOf("double", "a", "b", "c", "d"), x(flavors.Float32, 4)},
		{columnsOf("double", "a", "b", "c", "d"), x(flavors.Float64, -1)},
		{columnsOf("long", "a", "b", "c", "d"), x(flavors.Float32, 4)},
		{columnsOf("double", "a", "b", "c", "d"), x(flavors.Int32, 4)},
		{columnsOf("integer", "a", "b", "c", "d"), x(flavors.Uint8, 4)},
		{append(columnsOf("long", "a"), columnsOf("double", "b")...), []flavors.TensorInfo{
			{Name: "a", DType: flavors.Int64, Shape: []int64{-1}}, {Name: "b", DType: flavors.Float64, Shape: []int64{-1, 1}}}},
		{append(columnsOf("double", "b", "c"), columnsOf("double", "a")...), []flavors.TensorInfo{
			{Name: "c", DType: flavors.Float32, Shape: []int64{-1}}, {Name: "b", DType: flavors.Float32, Shape: []int64{-1}},
			{Name: "a", DType: flavors.Float32, Shape: []int64{-1, 1}}}},
		{optional, x(flavors.Float32, 4)},
		{append(columnsOf("long", "a"), columnsOf("double", "b")...), x(flavors.Float64, 2)},
		{columnsOf("boolean", "a", "b"), x(flavors.Bool, 2)},
	} {
		decs = append(decs, testDecoder(t, &flavors.Schema{Columns: c.cols}, c.inputs...))
	}
	return decs
}

// columnsOf is required signature columns of one type.
func columnsOf(typ flavors.ColType, names ...string) []flavors.ColSpec {
	var out []flavors.ColSpec
	for _, n := range names {
		out = append(out, flavors.ColSpec{Name: n, Type: typ, Required: true})
	}
	return out
}

// testDecoder is NewDecoder for a signature's inputs and the model's.
func testDecoder(t testing.TB, sig *flavors.Schema, inputs ...flavors.TensorInfo) *Decoder {
	t.Helper()
	dec, err := NewDecoder(ModelSpec{Signature: &flavors.Signature{Inputs: sig}, Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// TestDenseFramesMatchNodes: a dataframe_split read by columns decodes
// to the same request, or the same error, through fromDenseSplit and
// through the general path.
func TestDenseFramesMatchNodes(t *testing.T) {
	decs := frameDecoders(t)
	if !decs[0].denseFrames || decs[len(decs)-2].denseFrames {
		t.Fatal("the first decoder should read frames densely, the one of mixed column types not")
	}
	// The comparison below holds whichever path reads a frame: check that
	// fromDenseSplit does read a plain one.
	var d doc
	if jerr := parseJSON(&d, `{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4], [5, 6, 7, 8]]}}`,
		decs[0].dense); jerr != nil {
		t.Fatal(jerr.msg)
	}
	v := d.member(0, FieldDataframeSplit)
	if !decs[0].fromDenseSplit(&d, d.member(v, "data"), []int{0, 1, 2, 3}, &Request{}) {
		t.Fatal("fromDenseSplit left a frame of four double columns to the general path")
	}
	split := func(cols, data string) string {
		if cols == "" {
			return `{"dataframe_split": {"data": ` + data + `}}`
		}
		return `{"dataframe_split": {"columns": ` + cols + `, "data": ` + data + `}}`
	}
	abcd := `["a", "b", "c", "d"]`
	for _, body := range []string{
		split(abcd, `[[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]`),
		split(abcd, `[[1, 2, 3, 4]]`),
		split(`["d", "c", "b", "a"]`, `[[1, 2, 3, 4], [5, 6, 7, 8]]`),
		split(`["a", "a", "b", "c", "d"]`, `[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]`),
		split(`["a", "b", "c", "d", "e"]`, `[[1, 2, 3, 4, 5]]`),
		split(`["a", "b", "c"]`, `[[1, 2, 3]]`),
		split(`["b", "a"]`, `[[1, 2]]`),
		split(abcd, `[[1, 2, 3, 4.5]]`),
		split(abcd, `[[1, 2, 3, 3000000000]]`),
		split(abcd, `[[1, 2, 3, 300]]`),
		split(abcd, `[[1, 2, 3, -1]]`),
		split(abcd, `[[1, 2, 3, 9007199254740993]]`),
		split(abcd, `[[1, 2, 3, 1e400]]`),
		split(abcd, `[[1, 2, 3, -0], [1e-400, 2, 3, 4]]`),
		split(abcd, `[[1, 2, 3, null]]`),
		split(abcd, `[[1, 2, 3, "4"]]`),
		split(abcd, `[[1, 2, 3, true]]`),
		split(abcd, `[[1, 2, 3, [4]]]`),
		split(abcd, `[[1, 2, 3, 4], [1, 2, 3]]`),
		split(abcd, `[[1, 2, 3, 4], 5]`),
		split(abcd, `[1, 2, 3, 4]`),
		split(`["a"]`, `[1, 2, 3, 4]`),
		split(abcd, `[]`),
		split(abcd, `[[]]`),
		split("", `[[1, 2, 3, 4]]`),
		split(abcd, `[[true, false, true, false]]`),
		`{"dataframe_split": {"columns": ["a", "b", "c", "d"], "index": [7], "data": [[1, 2, 3, 4]]}}`,
		`{"dataframe_split": {"data": [[1, 2, 3, 4]], "columns": ["a", "b", "c", "d"]}, "params": {"k": [1, 2]}}`,
	} {
		checkBothWays(t, decs, []byte(body))
	}
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
		if denseErr == nil && !sameRequest(dense, nodes) {
			t.Fatalf("%s for %s: dense arrays give %+v, nodes %+v", body, dec.inputs[0].info.DType,
				dense.Inputs[0], nodes.Inputs[0])
		}
	}
}

// sameRequest is reflect.DeepEqual for requests, but with tensor data
// compared as printed, so that NaN (a missing optional column's value)
// equals NaN.
func sameRequest(a, b *Request) bool {
	if len(a.Inputs) != len(b.Inputs) {
		return false
	}
	for i, ta := range a.Inputs {
		tb := b.Inputs[i]
		if (ta == nil) != (tb == nil) {
			return false
		}
		if ta != nil && (ta.Name != tb.Name || ta.DType != tb.DType || !reflect.DeepEqual(ta.Shape, tb.Shape) ||
			reflect.TypeOf(ta.Data) != reflect.TypeOf(tb.Data) || fmt.Sprint(ta.Data) != fmt.Sprint(tb.Data)) {
			return false
		}
	}
	ra, rb := *a, *b
	ra.Inputs, rb.Inputs = nil, nil
	return reflect.DeepEqual(ra, rb)
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
	f.Add(`{"dataframe_split": {"columns": ["b", "a", "c", "d"], "data": [[1, 2, 3, 4], [5, 6, 7, 8.5]]}}`)
	decs := append(denseDecoders(f), frameDecoders(f)...)
	f.Fuzz(func(t *testing.T, body string) {
		checkBothWays(t, decs, []byte(body))
	})
}
