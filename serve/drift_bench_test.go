package serve

import (
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// BenchmarkObserveDriftCNN64 is what live drift monitoring adds to a
// scored cnn64 request of one image (float32 [1, 3, 64, 64]): the
// per-channel summaries of the sample and recording them in the window.
func BenchmarkObserveDriftCNN64(b *testing.B) {
	in := drift.TensorInput{Name: "input", Label: "input", DType: flavors.Float32, Shape: []int64{-1, 3, 64, 64}}
	cols, err := drift.SummaryColumns(in, in.Shape)
	if err != nil {
		b.Fatal(err)
	}
	img := make([]float32, 3*64*64)
	for i := range img {
		img[i] = float32(i%251) / 251
	}
	bld := drift.NewBuilder(cols)
	out := make([]float64, len(cols))
	s, err := drift.NewSummarizer(in.Shape[1:], 1)
	if err != nil {
		b.Fatal(err)
	}
	drift.Summarize(s, img, out)
	for i, c := range cols {
		if err := bld.AddFloats(c.Name, []float64{out[i], out[i] * 0.9, out[i] * 1.1}); err != nil {
			b.Fatal(err)
		}
	}
	ref, err := bld.Profile()
	if err != nil {
		b.Fatal(err)
	}
	mon, err := drift.NewMonitor(ref, drift.WithWindowTime(0))
	if err != nil {
		b.Fatal(err)
	}
	m := &Model{driftRef: ref, monitor: mon}
	m.driftTaps = driftTaps(nil, []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: in.Shape}}, ref)
	if len(m.driftTaps) != 1 || m.driftTaps[0].sum == nil {
		b.Fatalf("taps = %+v, want one summary tap", m.driftTaps)
	}
	inputs := []*flavors.Tensor{{Name: "input", DType: flavors.Float32, Shape: []int64{1, 3, 64, 64}, Data: img}}
	b.ReportAllocs()
	for b.Loop() {
		m.observeDrift(inputs, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sample")
}
