// Command berthbench measures berth's scoring throughput and latency against
// a floor (a minimal net/http JSON handler with no model) and bare ONNX
// Runtime in-process, all in one run on the same machine, and prints one
// Markdown table, then what live drift monitoring costs: berth with it on
// and off, in alternate turns. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/berthml/berth/bench/loadgen"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

type config struct {
	berth, floor, barebones string
	model, ortLib           string
	duration                time.Duration
	conc                    []int
	starts                  int
	drift                   bool
	driftData               string
	driftRows               int
	driftConc               []int
	driftDuration           time.Duration
	driftTurns              int
}

func main() {
	var c config
	var conc, driftConc string
	flag.StringVar(&c.berth, "berth", "bin/berth", "berth binary")
	flag.StringVar(&c.floor, "floor", "bin/floor", "floor server binary")
	flag.StringVar(&c.barebones, "barebones", "bin/barebones", "bare-bones Go + ONNX Runtime server binary")
	flag.StringVar(&c.model, "model", "testdata/models/iris_logreg", "model directory")
	flag.StringVar(&c.ortLib, "ort-lib", "", "libonnxruntime.so (default: the cache)")
	flag.DurationVar(&c.duration, "duration", 3*time.Second, "how long each cell of the table runs")
	flag.StringVar(&conc, "concurrency", "1,8,64", "comma-separated client concurrency levels")
	flag.IntVar(&c.starts, "starts", 7, "how many times to start berth to time start-to-ready")
	flag.BoolVar(&c.drift, "drift", true, "also measure berth with live drift monitoring on and off (--drift=false) on a profiled copy of the model")
	flag.StringVar(&c.driftData, "drift-data", "testdata/data/iris.csv", "data that -drift profiles into the model copy's drift reference")
	flag.IntVar(&c.driftRows, "drift-window-rows", 1000, "rows per drift window for -drift")
	flag.StringVar(&driftConc, "drift-concurrency", "8,64", "comma-separated client concurrency levels for -drift")
	flag.DurationVar(&c.driftDuration, "drift-duration", 12*time.Second, "how long -drift loads each of drift on and off, per concurrency")
	flag.IntVar(&c.driftTurns, "drift-turns", 24, "in how many turns -drift-duration is taken")
	flag.Parse()
	var err error
	if c.conc, err = loadgen.Levels(conc); err != nil {
		fmt.Fprintf(os.Stderr, "berthbench: bad -concurrency %q\n", conc)
		os.Exit(2)
	}
	if c.driftConc, err = loadgen.Levels(driftConc); err != nil || c.driftTurns < 1 {
		fmt.Fprintf(os.Stderr, "berthbench: bad -drift-concurrency %q or -drift-turns %d\n", driftConc, c.driftTurns)
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		os.Exit(1)
	}
}

const (
	splitBody = `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`
	v2Body    = `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`
)

func run(ctx context.Context, c config) error {
	if c.ortLib == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			return err
		}
		c.ortLib = p
	}
	fmt.Fprintf(os.Stderr, "berthbench: %s per cell, concurrency %v, model %s\n", c.duration, c.conc, c.model)

	floor, err := startServer(ctx, []string{c.floor, "-addr", "127.0.0.1:18901"}, "http://127.0.0.1:18901/ping")
	if err != nil {
		return fmt.Errorf("starting the floor server: %w", err)
	}
	defer floor.stop()
	bare, err := startServer(ctx, []string{c.barebones, "-addr", "127.0.0.1:18904", "-model", c.model, "-ort-lib", c.ortLib},
		"http://127.0.0.1:18904/ping")
	if err != nil {
		return fmt.Errorf("starting the bare-bones server: %w", err)
	}
	defer bare.stop()
	berth, err := startServer(ctx, []string{c.berth, "serve", "iris=" + c.model, "--port", "18902", "--ort-lib", c.ortLib},
		"http://127.0.0.1:18902/v2/health/ready")
	if err != nil {
		return fmt.Errorf("starting berth: %w", err)
	}
	defer berth.stop()

	targets := []target{
		{"floor: net/http JSON, no model", "http://127.0.0.1:18901/invocations", splitBody},
		{"bare-bones Go + ONNX Runtime server", "http://127.0.0.1:18904/invocations", splitBody},
		{"berth /invocations", "http://127.0.0.1:18902/invocations", splitBody},
		{"berth /v2/models/iris/infer", "http://127.0.0.1:18902/v2/models/iris/infer", v2Body},
	}
	var rows []row
	for _, n := range c.conc {
		fmt.Fprintf(os.Stderr, "berthbench: HTTP targets in turns, concurrency %d\n", n)
		rs, err := loadInTurns(ctx, targets, n, rounds, c.duration)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	berth.stop()
	bare.stop()
	floor.stop()

	var drift *driftResult
	if c.drift {
		if drift, err = measureDrift(ctx, c); err != nil {
			return err
		}
	}

	for _, n := range c.conc {
		fmt.Fprintf(os.Stderr, "berthbench: bare ONNX Runtime in-process, %d goroutines\n", n)
		r, err := bareORT(ctx, c.ortLib, c.model, n, c.duration)
		if err != nil {
			return fmt.Errorf("bare ONNX Runtime: %w", err)
		}
		rows = append(rows, r)
	}

	fmt.Fprintf(os.Stderr, "berthbench: start to ready, %d starts\n", c.starts)
	ready, err := startToReady(ctx, c)
	if err != nil {
		return err
	}
	printTable(os.Stdout, rows, ready, c)
	if drift != nil {
		printDrift(os.Stdout, drift, c)
	}
	return nil
}

// bareORT runs the model in-process through berth's ONNX flavor, with no
// HTTP and no JSON: the ceiling for a server.
func bareORT(ctx context.Context, lib, dir string, conc int, d time.Duration) (row, error) {
	if err := onnx.Init(lib); err != nil {
		return row{}, err
	}
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
	if err != nil {
		return row{}, err
	}
	defer l.Predictor.Close()
	in := l.Predictor.Inputs()[0]
	x := &flavors.Tensor{Name: in.Name, DType: flavors.Float32, Shape: []int64{1, 4}, Data: []float32{5.1, 3.5, 1.4, 0.2}}
	r := measure(conc, d, func() error {
		_, err := l.Predictor.Predict(ctx, []*flavors.Tensor{x}, nil)
		return err
	})
	r.target, r.conc = "bare ONNX Runtime in-process (runs/s)", conc
	return r, r.err
}
