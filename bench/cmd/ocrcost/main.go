// Command ocrcost measures, in process, what serving MLflow's JSON body
// costs on top of the model's own inference: for the OCR classifier
// (testdata/models/ocr_cls, batch 1) it times bare ONNX Runtime runs on
// the tensor alone, and requests that decode MLflow's own
// serving_input_example.json into that tensor (api/scoring, as berth
// serve's /invocations does), run the model and encode the response, in
// alternating turns. No HTTP and no load generator: on a shared machine
// those blur the figure that bench/throughput.sh's wrk table also shows
// (berth's requests per second over MLflow's JSON ÷ bare ONNX Runtime's
// runs per second, issue 16's ≥ 0.45 at c=1).
//
// Each figure is per request, in process CPU time (user + system, ONNX
// Runtime's threads and GC included; berth runs ONNX Runtime on one
// intra-op thread) and in wall time, the median of the turns. "÷ bare" is
// bare time ÷ request time: the throughput ratio one core would give.
//
// With -cores it then times the same runs, in thread CPU time, on one
// thread pinned to CPU 0 against runs alternating between threads pinned
// to CPUs 0 and 1: what a run pays when the previous one ran on the other
// core (docs/speed.md, "Over wrk").
//
// Usage: go run ./bench/cmd/ocrcost [-turns 5] [-n 200] [-ort-lib PATH] [-cores]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

func main() {
	turns := flag.Int("turns", 5, "alternating turns; a figure is the median")
	n := flag.Int("n", 200, "requests (and bare runs) per turn")
	dir := flag.String("model", "testdata/models/ocr_cls", "the OCR classifier's model directory")
	lib := flag.String("ort-lib", "", "libonnxruntime.so (default: the cache, scripts/fetch-ort.sh)")
	cores := flag.Bool("cores", false, "also time runs kept on one CPU against runs alternating between two (Linux)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*dir, *lib, *turns, *n, *cores); err != nil {
		log.Fatal(err)
	}
}

func run(dir, lib string, turns, n int, cores bool) error {
	ctx := context.Background()
	if lib == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			return err
		}
		lib = p
	}
	if err := onnx.Init(lib); err != nil {
		return err
	}
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
	if err != nil {
		return fmt.Errorf("loading %s: %w", dir, err)
	}
	defer l.Predictor.Close()
	body, err := os.ReadFile(filepath.Join(dir, "serving_input_example.json"))
	if err != nil {
		return err
	}
	dec, err := scoring.NewDecoder(scoring.ModelSpec{Signature: l.MLmodel.Signature,
		Inputs: l.Predictor.Inputs(), Outputs: l.Predictor.Outputs()})
	if err != nil {
		return err
	}
	req, err := dec.Decode(scoring.FormatJSON, body)
	if err != nil {
		return err
	}
	x := req.Inputs // the bare runs reuse one decoded tensor, warm
	bare := func() error {
		_, err := l.Predictor.Predict(ctx, x, nil)
		return err
	}
	full := func() error {
		r, err := dec.Decode(scoring.FormatJSON, body)
		if err != nil {
			return err
		}
		out, err := l.Predictor.Predict(ctx, r.Inputs, nil)
		if err != nil {
			return err
		}
		_, err = dec.Encode(out, r)
		return err
	}
	decode := func() error {
		_, err := dec.Decode(scoring.FormatJSON, body)
		return err
	}
	type target struct {
		name      string
		fn        func() error
		cpu, wall []float64
	}
	ts := []*target{{name: "bare ONNX Runtime (Predict)", fn: bare},
		{name: "MLflow's JSON: decode + Predict + encode", fn: full},
		{name: "decode alone", fn: decode}}
	for _, t := range ts { // warm
		for range 10 {
			if err := t.fn(); err != nil {
				return err
			}
		}
	}
	for turn := range turns {
		for k := range ts {
			t := ts[(k+turn)%len(ts)]
			c0, w0 := cpuTime(), time.Now()
			for range n {
				if err := t.fn(); err != nil {
					return err
				}
			}
			t.cpu = append(t.cpu, float64(cpuTime()-c0)/float64(n)/1e6)
			t.wall = append(t.wall, float64(time.Since(w0))/float64(n)/1e6)
		}
	}
	fmt.Printf("OCR classifier, batch 1, %d bytes of MLflow's JSON; %d turns of %d requests, medians\n\n", len(body), turns, n)
	fmt.Println("| per request | CPU ms | wall ms | ÷ bare (CPU) | ÷ bare (wall) |")
	fmt.Println("|---|---:|---:|---:|---:|")
	bc, bw := median(ts[0].cpu), median(ts[0].wall)
	for _, t := range ts {
		c, w := median(t.cpu), median(t.wall)
		fmt.Printf("| %s | %.3f | %.3f | %.2f | %.2f |\n", t.name, c, w, bc/c, bw/w)
	}
	fmt.Printf("\nCPU ms per turn, bare: %s\nCPU ms per turn, JSON: %s\n", list(ts[0].cpu), list(ts[1].cpu))
	if cores {
		return coreTable(turns, n, bare, full)
	}
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func list(xs []float64) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.3f", x)
	}
	return s
}
