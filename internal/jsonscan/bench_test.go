package jsonscan_test

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/berthml/berth/internal/jsonscan"
)

// Payloads shaped like the scoring protocols' bodies: a numeric "inputs"
// batch (the common case) and an OIP request with names and strings.
var payloads = []struct {
	name string
	body []byte
}{
	{"inputs100", inputs(100)},
	{"inputs10k", inputs(10000)},
	{"oip", []byte(`{"id": "r1", "parameters": {"content_type": "pd", "note": "caf\u00e9 \ud83d\ude00"},
		"inputs": [{"name": "sepal_length", "datatype": "FP64", "shape": [4], "data": [5.1, 6.9, 4.7, 5.8]},
		{"name": "species", "datatype": "BYTES", "shape": [4], "data": ["setosa", "virginica", "setosa", "versicolor"]}],
		"outputs": [{"name": "label"}]}`)},
}

func inputs(rows int) []byte {
	var b strings.Builder
	b.WriteString(`{"inputs": [`)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[" + strconv.FormatFloat(5.1+float64(i%7)/10, 'g', -1, 64) + ", 3.5, 1.4, 0.2]")
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// BenchmarkValid checks a body's syntax: the scanner's Valid, encoding/json's
// Valid and gjson's Valid.
func BenchmarkValid(b *testing.B) {
	for _, p := range payloads {
		b.Run(p.name+"/jsonscan", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			for b.Loop() {
				if !jsonscan.Valid(p.body) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(p.name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			for b.Loop() {
				if !json.Valid(p.body) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(p.name+"/gjson", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			for b.Loop() {
				if !gjson.ValidBytes(p.body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkDecode decodes a whole body into Go values: the scanner's
// Decode, encoding/json's Unmarshal into any, and gjson's Parse(...).Value().
func BenchmarkDecode(b *testing.B) {
	for _, p := range payloads {
		b.Run(p.name+"/jsonscan", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jsonscan.Decode(p.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(p.body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/gjson", func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			for b.Loop() {
				if gjson.ParseBytes(p.body).Value() == nil {
					b.Fatal("no value")
				}
			}
		})
	}
}

// BenchmarkFloats fills a flat float64 batch from an "inputs" body, the
// scoring server's hot path: the scanner's grammar with strconv (as
// api/scoring does, after one pass that checks the syntax), encoding/json
// into a typed struct, and gjson (which does not check the syntax, so
// gjson.ValidBytes runs first).
func BenchmarkFloats(b *testing.B) {
	body := inputs(10000)
	b.Run("jsonscan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		out := make([]float64, 0, 40000)
		for b.Loop() {
			if !jsonscan.Valid(body) {
				b.Fatal("invalid")
			}
			out = out[:0]
			for i := 0; i < len(body); {
				c := body[i]
				if c == '-' || c >= '0' && c <= '9' {
					_, end, _ := jsonscan.Number(body, i)
					f, err := strconv.ParseFloat(string(body[i:end]), 64)
					if err != nil {
						b.Fatal(err)
					}
					out = append(out, f)
					i = end
					continue
				}
				i++
			}
			if len(out) != 40000 {
				b.Fatal(len(out))
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct{ Inputs [][]float64 }
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		out := make([]float64, 0, 40000)
		for b.Loop() {
			if !gjson.ValidBytes(body) {
				b.Fatal("invalid")
			}
			out = out[:0]
			gjson.GetBytes(body, "inputs").ForEach(func(_, row gjson.Result) bool {
				row.ForEach(func(_, x gjson.Result) bool {
					out = append(out, x.Float())
					return true
				})
				return true
			})
			if len(out) != 40000 {
				b.Fatal(len(out))
			}
		}
	})
}

// BenchmarkRuns reads the innermost lists of the OCR classifier's
// serving_input_example.json (MLflow's pretty-printed, full float64
// repr) with Floats, beside a floor that touches every byte of the body
// once with a table look-up: the ratio of the two is the one
// docs/speed.md tracks for the whole decode.
func BenchmarkRuns(b *testing.B) {
	body, err := os.ReadFile("../../testdata/models/ocr_cls/serving_input_example.json")
	if err != nil {
		b.Fatalf("the OCR fixture (testdata/models/ocr_cls): %v", err)
	}
	var starts []int // just past each '[' that opens a list of numbers
	for i, c := range body {
		if c == '[' {
			if j := jsonscan.SkipSpace(body, i+1); j < len(body) && (body[j] == '-' || body[j] >= '0' && body[j] <= '9') {
				starts = append(starts, i+1)
			}
		}
	}
	dst := make([]float32, 27648)
	b.Run("floats", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			k := 0
			for _, s := range starts {
				n, _, closed := jsonscan.Floats(body, s, dst[k:], math.MaxFloat32)
				if !closed {
					b.Fatal("run not closed")
				}
				k += n
			}
			if k != len(dst) {
				b.Fatal(k)
			}
		}
	})
	var class [256]uint8
	for _, c := range []byte("[]{},:\"") {
		class[c] = 1
	}
	b.Run("floor", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			n := 0
			for _, c := range body {
				n += int(class[c])
			}
			if n == 0 {
				b.Fatal("no structure")
			}
		}
	})
}
