package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// body is one request body, or several of one kind, and what decodes it.
type body struct {
	name  string
	shape string // the body's shape: inputs, instances, dataframe_split, oip
	b     []byte
	// more are other bodies of b's kind, shape and count, with other
	// numbers: every decoder reads b, then each of more, and round again.
	// A loop over one small body lets the CPU's branch predictor learn
	// its numbers (how many digits each has) and flatters every parser
	// that branches on them: berth's decode of one 85 kB body ran about
	// 1.4× as fast as of ten such bodies in turn, and a server never sees
	// one body twice. The sized bodies go round about 1 MB of them.
	more [][]byte
	at   int // the next to read: 0 is b, k is more[k-1]
	n    int // numbers in each
	spec []int64
	// columns, where set, are the model's column signature (doubles,
	// stacked into its one input), as MLflow logs it for a pandas frame:
	// a dataframe_split is then read by columns, not by position.
	columns []string
	// real is set for the body MLflow wrote (not one made here).
	real bool
}

// all is b and more.
func (b *body) all() [][]byte { return append([][]byte{b.b}, b.more...) }

// next is the body to read next, in turn.
func (b *body) next() []byte {
	v := b.b
	if b.at > 0 {
		v = b.more[b.at-1]
	}
	b.at = (b.at + 1) % (len(b.more) + 1)
	return v
}

// size is the mean length of the bodies.
func (b *body) size() int {
	n := len(b.b)
	for _, v := range b.more {
		n += len(v)
	}
	return n / (len(b.more) + 1)
}

// ocrBodies are the OCR classifier's serving_input_example.json as MLflow
// wrote it, and the same numbers in MLflow's other body shapes and in OIP
// v2 JSON, each pretty-printed with indent 2 as Python's json.dumps does.
func ocrBodies(root string) ([]body, error) {
	raw, err := os.ReadFile(filepath.Join(root, "testdata/models/ocr_cls/serving_input_example.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the OCR example (make fixtures writes it): %w", err)
	}
	var ex struct{ Inputs [][][][]json.Number }
	if err := json.Unmarshal(raw, &ex); err != nil {
		return nil, err
	}
	var flat []json.Number
	for _, c := range ex.Inputs[0] {
		for _, r := range c {
			flat = append(flat, r...)
		}
	}
	shape := []int64{1, 3, 48, 192}
	rows := make([][]json.Number, len(flat)/192)
	for i := range rows {
		rows[i] = flat[i*192 : (i+1)*192]
	}
	cols := make([]string, 192)
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
	}
	return []body{
		{name: "ocr", shape: "inputs", b: raw, n: len(flat), spec: []int64{-1, 3, 48, 192}, real: true},
		{name: "ocr", shape: "instances", b: pretty(map[string]any{"instances": ex.Inputs}), n: len(flat), spec: []int64{-1, 3, 48, 192}},
		{name: "ocr", shape: "dataframe_split", b: pretty(map[string]any{"dataframe_split": map[string]any{"columns": cols, "data": rows}}),
			n: len(flat), spec: []int64{-1, 192}},
		{name: "ocr", shape: "oip", b: pretty(map[string]any{"inputs": []any{map[string]any{
			"name": "x", "shape": shape, "datatype": "FP32", "data": ex.Inputs}}}), n: len(flat), spec: shape},
	}, nil
}

// irisBodies are tabular rows, four numbers wide: the rows of the
// serving_input_example.json files MLflow wrote for two iris models, one
// with a tensor signature ("inputs", float32 values in full float64 repr)
// and one with a column signature (dataframe_split, one decimal, decoded
// for that signature), each repeated to rows rows and pretty-printed as
// MLflow writes them.
func irisBodies(root string, rows int) ([]body, error) {
	var tensor struct{ Inputs [][]json.Number }
	var split struct {
		Split struct {
			Columns []string        `json:"columns"`
			Data    [][]json.Number `json:"data"`
		} `json:"dataframe_split"`
	}
	for _, f := range []struct {
		dir string
		v   any
	}{{"iris_logreg_tensor", &tensor}, {"iris_mlflow_colspec", &split}} {
		raw, err := os.ReadFile(filepath.Join(root, "testdata/models", f.dir, "serving_input_example.json"))
		if err != nil {
			return nil, fmt.Errorf("reading the %s example: %w", f.dir, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(f.v); err != nil {
			return nil, fmt.Errorf("%s: %w", f.dir, err)
		}
	}
	repeat := func(rs [][]json.Number) [][]json.Number {
		out := make([][]json.Number, rows)
		for i := range out {
			out[i] = rs[i%len(rs)]
		}
		return out
	}
	name := fmt.Sprintf("iris ×%d", rows)
	return []body{
		{name: name, shape: "inputs", b: pretty(map[string]any{"inputs": repeat(tensor.Inputs)}), n: 4 * rows,
			spec: []int64{-1, 4}},
		{name: name, shape: "dataframe_split", b: pretty(map[string]any{"dataframe_split": map[string]any{
			"columns": split.Split.Columns, "data": repeat(split.Split.Data)}}), n: 4 * rows, spec: []int64{-1, 4},
			columns: split.Split.Columns},
	}, nil
}

// sizedBodies are "inputs" bodies of float32 values in full float64 repr
// (as numpy float32 arrays print through json.dumps), rows of 32, from
// about 1 kB to 10 MB, each size as distinct bodies that add up to about
// rotation bytes (a single body for the largest).
func sizedBodies() []body {
	r := rand.New(rand.NewPCG(16, 16))
	var out []body
	for _, rows := range []int{1, 10, 100, 1000, 10000} {
		bd := body{shape: "inputs", n: rows * 32, spec: []int64{-1, 32}}
		for total := 0; total < rotation; {
			data := make([][]float64, rows)
			for i := range data {
				data[i] = make([]float64, 32)
				for j := range data[i] {
					data[i][j] = float64(float32(r.Float64()*2 - 1))
				}
			}
			b := pretty(map[string]any{"inputs": data})
			if bd.b == nil {
				bd.b = b
			} else {
				bd.more = append(bd.more, b)
			}
			total += len(b)
		}
		bd.name = sizeName(bd.size())
		out = append(out, bd)
	}
	return out
}

// rotation is about how many bytes of distinct bodies a sized body's
// decoders go round.
const rotation = 1 << 20

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.0fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fkB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// pretty is json.dumps(v, indent=2): ", " never appears, ": " after keys.
func pretty(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func tensorSpec(shape []int64) []flavors.TensorSpec {
	return []flavors.TensorSpec{{DType: flavors.Float32, Shape: shape}}
}
