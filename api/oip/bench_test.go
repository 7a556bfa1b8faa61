package oip_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

func fp32Request(rows int) []byte {
	var b strings.Builder
	b.WriteString(`{"id":"bench","inputs":[{"name":"x","shape":[` + strconv.Itoa(rows) + `,4],"datatype":"FP32","data":[`)
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`[5.1,3.5,1.4,0.2]`)
	}
	b.WriteString(`]}]}`)
	return []byte(b.String())
}

func BenchmarkDecodeInferRequest(b *testing.B) {
	for _, rows := range []int{1, 100} {
		body := fp32Request(rows)
		b.Run("FP32x4/rows="+strconv.Itoa(rows), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := oip.DecodeInferRequest(body, "", fp32Model); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeInferResponse(b *testing.B) {
	for _, rows := range []int{1, 100} {
		data := make([]float32, rows*3)
		for i := range data {
			data[i] = float32(i) / 7
		}
		outs := []*flavors.Tensor{{Name: "probabilities", DType: flavors.Float32, Shape: []int64{int64(rows), 3}, Data: data}}
		b.Run("FP32x3/rows="+strconv.Itoa(rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := oip.EncodeInferResponse("m", "1", "bench", outs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeImage decodes one 3×64×64 FP32 image written flat with
// four decimals, as a JSON client sends it to a CNN.
func BenchmarkDecodeImage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"inputs":[{"name":"x","shape":[1,3,64,64],"datatype":"FP32","data":[`)
	for i := range 3 * 64 * 64 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatFloat(float64((i*7919)%10000)/10000, 'f', -1, 64))
	}
	sb.WriteString(`]}]}`)
	body := []byte(sb.String())
	model := []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 3, 64, 64}}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := oip.DecodeInferRequest(body, "", model); err != nil {
			b.Fatal(err)
		}
	}
}
