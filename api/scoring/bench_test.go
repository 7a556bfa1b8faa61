package scoring_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

func irisBody(rows int, split bool) []byte {
	var b strings.Builder
	if split {
		b.WriteString(`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [`)
	} else {
		b.WriteString(`{"inputs": [`)
	}
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		if i%2 == 0 {
			b.WriteString("[5.1, 3.5, 1.4, 0.2]")
		} else {
			b.WriteString("[6.9, 3.2, 5.7, 2.3]")
		}
	}
	if split {
		b.WriteString("]}}")
	} else {
		b.WriteString("]}")
	}
	return []byte(b.String())
}

func benchDecode(b *testing.B, spec scoring.ModelSpec, body []byte) {
	dec, err := scoring.NewDecoder(spec)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(scoring.FormatJSON, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSplit: dataframe_split of iris rows for a ColSpec double
// ×4 model whose input is float32 [-1, 4].
func BenchmarkDecodeSplit(b *testing.B) {
	for _, rows := range []int{1, 100} {
		b.Run(rowsName(rows), func(b *testing.B) { benchDecode(b, stackedSpec(), irisBody(rows, true)) })
	}
}

// BenchmarkDecodeInputs: inputs as nested lists for a tensor [-1, 4] model.
func BenchmarkDecodeInputs(b *testing.B) {
	for _, rows := range []int{1, 100} {
		b.Run(rowsName(rows), func(b *testing.B) { benchDecode(b, tensorSpec(), irisBody(rows, false)) })
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, rows := range []int{1, 100} {
		b.Run(rowsName(rows), func(b *testing.B) {
			labels := make([]int64, rows)
			probs := make([]float32, rows*3)
			for i := range probs {
				probs[i] = 0.33
			}
			outs := []*flavors.Tensor{
				{Name: "label", DType: flavors.Int64, Shape: []int64{int64(rows)}, Data: labels},
				{Name: "probabilities", DType: flavors.Float32, Shape: []int64{int64(rows), 3}, Data: probs},
			}
			req := &scoring.Request{Rows: rows, Columnar: true}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scoring.Encode(outs, req, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func rowsName(rows int) string {
	if rows == 1 {
		return "1row"
	}
	return strconv.Itoa(rows) + "rows"
}

// ocrSpec is testdata/models/ocr_cls: a float32 [-1, 3, 48, 192] tensor
// model (PaddleOCR's text-direction classifier).
func ocrSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{
			Inputs:  &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: []int64{-1, 3, 48, 192}}}},
			Outputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: []int64{-1, 2}}}},
		},
		Inputs:  []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 3, -1, -1}}},
		Outputs: []flavors.TensorInfo{{Name: "softmax_0.tmp_0", DType: flavors.Float32, Shape: []int64{-1, 2}}},
	}
}

// BenchmarkDecodeOCR: the 850 kB serving_input_example.json that MLflow
// writes for the OCR classifier (pretty-printed, full float64 repr).
func BenchmarkDecodeOCR(b *testing.B) {
	body, err := os.ReadFile("../../testdata/models/ocr_cls/serving_input_example.json")
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, ocrSpec(), body)
}
