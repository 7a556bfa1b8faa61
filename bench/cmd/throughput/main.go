// Command throughput measures berth's scoring throughput against its
// peers in one run on one machine and prints one Markdown table: berth with
// dynamic batching off and on, the floor (a minimal net/http JSON handler
// with no model), a minimal Node.js server on onnxruntime-node (bench/node,
// the server a user would otherwise write) and bare ONNX Runtime in-process,
// on the iris fixture and a compute-heavy CNN (testdata/models/cnn64), one
// row per request, at several concurrency levels, loaded by Debian's wrk.
// Then it checks the three targets. bench/throughput.sh runs it;
// `make bench` runs that.
//
// The targets of one concurrency level are measured in turns, in order
// (backwards every other turn), so that a shared machine whose speed drifts
// slows them all alike. A cell's req/s is its turns' requests over their
// time; its p50 and p99 are those of the turns' latency distributions
// merged (wrk's quantiles at 0.1% steps, weighted by each turn's requests).
//
// It exits 1 when a server does not start or answers wrongly (each is
// checked against bare ONNX Runtime's output before it is measured), but
// not when a target is missed. A berth without --max-batch-size is reported
// as "batching on: unavailable".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/bench/loadgen"
	"github.com/berthml/berth/flavors/onnx"
)

type config struct {
	berth, floor, node, nodeServer, wrk string
	ortLib                              string
	models                              []string
	irisDir, cnnDir, ocrDir             string
	irisLevels, cnnLevels, ocrLevels    []int
	turn, warmup                        time.Duration
	turns                               int
	batchSize                           int
	queueDelay                          time.Duration
	intraOp                             int
	floorPID                            int // the floor's process, for its CPU time
	pinCPUs                             string
	// berthB and berthBArgs: a second berth (binary, extra flags) whose
	// binary and MLflow rows are measured in the same turns (-berth-b).
	berthB, berthBArgs string
}

func main() {
	var c config
	var models, irisLevels, cnnLevels, ocrLevels string
	flag.StringVar(&c.berth, "berth", "bin/berth", "berth binary")
	flag.StringVar(&c.floor, "floor", "bin/floor", "floor server binary (bench/cmd/floor)")
	flag.StringVar(&c.node, "node", "node", `Node.js binary; "" leaves the Node.js peer out`)
	flag.StringVar(&c.nodeServer, "node-server", "bench/node/server.js", "the Node.js peer server")
	flag.StringVar(&c.wrk, "wrk", "wrk", "wrk binary")
	flag.StringVar(&c.ortLib, "ort-lib", "", "libonnxruntime.so (default: the cache)")
	flag.StringVar(&models, "models", "iris,cnn,ocr", "comma-separated models to measure: iris, cnn, ocr")
	flag.StringVar(&c.irisDir, "iris", "testdata/models/iris_logreg", "the iris model directory")
	flag.StringVar(&c.cnnDir, "cnn", "testdata/models/cnn64", "the CNN model directory (input [N,3,64,64], output logits [N,10])")
	flag.StringVar(&irisLevels, "iris-concurrency", "1,8,64", "comma-separated client concurrency levels for iris")
	flag.StringVar(&c.ocrDir, "ocr", "testdata/models/ocr_cls", "the OCR classifier's model directory (input x [N,3,48,192])")
	flag.StringVar(&ocrLevels, "ocr-concurrency", "1,2", "comma-separated client concurrency levels for the OCR classifier")
	flag.StringVar(&cnnLevels, "cnn-concurrency", "1,8,32", "comma-separated client concurrency levels for the CNN")
	flag.DurationVar(&c.turn, "turn", 2*time.Second, "how long one turn of one target runs (whole seconds: wrk's unit)")
	flag.IntVar(&c.turns, "turns", 3, "turns per target and concurrency level")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured load on each server before its model's first turn")
	flag.IntVar(&c.batchSize, "max-batch-size", 32, "berth's --max-batch-size for batching on")
	flag.DurationVar(&c.queueDelay, "max-queue-delay", 2*time.Millisecond, "berth's --max-queue-delay for batching on")
	flag.IntVar(&c.intraOp, "intra-op-threads", 0, "ONNX Runtime intra-op threads for berth (--intra-op-threads), the Node.js peer (--threads) and bare ONNX Runtime (0: berth's default, one)")
	flag.StringVar(&c.pinCPUs, "pinned-berth", "", "also measure the binary and MLflow bodies on a second berth (batching off) started under taskset -c with this CPU list, e.g. 0: "+
		"whether keeping berth's threads on those CPUs changes its figures (on an idle machine, at c=1, a check for runs moving between cores)")
	flag.StringVar(&c.berthB, "berth-b", "", "also measure the binary and MLflow bodies on a second berth (batching off) built from this binary, in the same turns: "+
		"a before/after comparison (default: -berth, when -berth-b-args is given)")
	flag.StringVar(&c.berthBArgs, "berth-b-args", "", `extra flags for the -berth-b berth, space-separated (e.g. "--read-poll 0")`)
	flag.Parse()
	var err error
	c.models = strings.Split(models, ",")
	if c.irisLevels, err = loadgen.Levels(irisLevels); err == nil {
		c.cnnLevels, err = loadgen.Levels(cnnLevels)
	}
	if err == nil {
		c.ocrLevels, err = loadgen.Levels(ocrLevels)
	}
	if err != nil || c.turns < 1 || c.turn < time.Second || c.batchSize < 1 {
		fmt.Fprintf(os.Stderr, "throughput: bad flags (%v; -turns and -max-batch-size ≥ 1, -turn ≥ 1s)\n", err)
		os.Exit(2)
	}
	c.turn = c.turn.Round(time.Second) // wrk's unit; bare ONNX Runtime's turns match
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "throughput: done in %s\n", time.Since(start).Round(time.Second))
}

// Where the servers listen; one model's servers run at a time. pickPorts
// sets them to ports free when the run starts, so that another benchmark on
// the machine (or a server left over from one) does not stop this run.
var (
	floorAddr    = "127.0.0.1:18931"
	berthOffPort = "18932"
	berthOnPort  = "18933"
	nodePort     = "18934"
	berthPinPort = "18935"
	berthBPort   = "18936"
)

// pickPorts asks the kernel for six free ports on 127.0.0.1, holding them
// all until it has the six, so that they differ.
func pickPorts() error {
	var ports []string
	for range 6 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("finding a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	floorAddr = "127.0.0.1:" + ports[0]
	berthOffPort, berthOnPort, nodePort, berthPinPort, berthBPort = ports[1], ports[2], ports[3], ports[4], ports[5]
	return nil
}

func run(ctx context.Context, c config) error {
	if c.ortLib == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			return err
		}
		c.ortLib = p
	}
	tmp, err := os.MkdirTemp("", "berth-throughput-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	w, err := newWrkRunner(c.wrk, tmp)
	if err != nil {
		return err
	}
	if err := pickPorts(); err != nil {
		return err
	}
	floor, err := startServer(ctx, "the floor", []string{c.floor, "-addr", floorAddr}, "http://"+floorAddr+"/ping", 10*time.Second)
	if err != nil {
		return err
	}
	defer floor.stop()
	c.floorPID = floor.pid()

	res := &results{batchSize: c.batchSize, queueDelay: c.queueDelay}
	for _, name := range c.models {
		var m *model
		switch strings.TrimSpace(name) {
		case "iris":
			m = irisModel(c.irisDir, c.irisLevels)
		case "cnn":
			m = cnnModel(c.cnnDir, c.cnnLevels)
		case "ocr":
			if m, err = ocrModel(c.ocrDir, c.ocrLevels); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown model %q in -models (iris, cnn, ocr)", name)
		}
		if err := m.writeBody(tmp); err != nil {
			return err
		}
		if err := measureModel(ctx, c, w, m, res); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	res.print(os.Stdout, c)
	return nil
}

// measureModel starts berth (batching off and on) and the Node.js peer on
// m, checks every target's answer, and measures them all, level by level,
// in turns.
func measureModel(ctx context.Context, c config, w *wrkRunner, m *model, res *results) error {
	bare, err := loadBare(ctx, c.ortLib, m, c.intraOp)
	if err != nil {
		return fmt.Errorf("bare ONNX Runtime: %w", err)
	}
	defer bare.close()
	want, err := bare.output(ctx, m.output)
	if err != nil {
		return fmt.Errorf("bare ONNX Runtime: %w", err)
	}

	berthArgv := func(port string) []string {
		argv := []string{c.berth, "serve", m.name + "=" + m.dir, "--port", port, "--ort-lib", c.ortLib}
		if c.intraOp > 0 {
			argv = append(argv, "--intra-op-threads", strconv.Itoa(c.intraOp))
		}
		return argv
	}
	ready := func(port string) string { return "http://127.0.0.1:" + port + "/v2/health/ready" }
	infer := func(port string) string { return "http://127.0.0.1:" + port + "/v2/models/" + m.name + "/infer" }

	targets := []target{{kind: kindFloor, label: "floor: net/http JSON, no model", url: "http://" + floorAddr + "/invocations", pid: c.floorPID}}
	off, err := startServer(ctx, "berth (batching off)", berthArgv(berthOffPort), ready(berthOffPort), 20*time.Second)
	if err != nil {
		return err
	}
	defer off.stop()
	targets = append(targets, target{kind: kindBerthOff, label: "berth, batching off", url: infer(berthOffPort), pid: off.pid()})
	if m.binary {
		// The same request with the tensor as raw bytes (the Open
		// Inference Protocol's binary extension, as Triton clients send
		// images): no JSON numbers to parse.
		path, hlen, err := m.writeBinaryBody(filepath.Dir(m.body))
		if err != nil {
			return err
		}
		targets = append(targets, target{kind: kindBerthBinary, label: "berth, batching off, binary tensor data",
			url: infer(berthOffPort), body: path, headerLen: hlen, pid: off.pid()})
	}

	if m.mlflowBody != "" {
		targets = append(targets, target{kind: kindBerthMLflow, label: "berth, batching off, /invocations with MLflow's serving_input_example.json",
			url: "http://127.0.0.1:" + berthOffPort + "/invocations", body: m.mlflowBody, pid: off.pid()})
	}

	if c.pinCPUs != "" && m.binary && m.mlflowBody != "" {
		argv := append([]string{"taskset", "-c", c.pinCPUs}, berthArgv(berthPinPort)...)
		pin, err := startServer(ctx, "berth (pinned)", argv, ready(berthPinPort), 20*time.Second)
		if err != nil {
			return err
		}
		defer pin.stop()
		path, hlen, err := m.writeBinaryBody(filepath.Dir(m.body))
		if err != nil {
			return err
		}
		label := "berth under taskset -c " + c.pinCPUs
		targets = append(targets,
			target{kind: kindBerthPinnedBinary, label: label + ", binary tensor data", url: infer(berthPinPort), body: path, headerLen: hlen, pid: pin.pid()},
			target{kind: kindBerthPinnedMLflow, label: label + ", /invocations with MLflow's file",
				url: "http://127.0.0.1:" + berthPinPort + "/invocations", body: m.mlflowBody, pid: pin.pid()})
	}

	if (c.berthB != "" || c.berthBArgs != "") && m.binary && m.mlflowBody != "" {
		argv := berthArgv(berthBPort)
		if c.berthB != "" {
			argv[0] = c.berthB
		}
		argv = append(argv, strings.Fields(c.berthBArgs)...)
		b, err := startServer(ctx, "berth B", argv, ready(berthBPort), 20*time.Second)
		if err != nil {
			return err
		}
		defer b.stop()
		path, hlen, err := m.writeBinaryBody(filepath.Dir(m.body))
		if err != nil {
			return err
		}
		label := "berth B (" + strings.Join(append([]string{filepath.Base(argv[0])}, strings.Fields(c.berthBArgs)...), " ") + ")"
		targets = append(targets,
			target{kind: kindBerthBBinary, label: label + ", binary tensor data", url: infer(berthBPort), body: path, headerLen: hlen, pid: b.pid()},
			target{kind: kindBerthBMLflow, label: label + ", /invocations with MLflow's file",
				url: "http://127.0.0.1:" + berthBPort + "/invocations", body: m.mlflowBody, pid: b.pid()})
	}

	onArgv := append(berthArgv(berthOnPort), "--max-batch-size", strconv.Itoa(c.batchSize), "--max-queue-delay", c.queueDelay.String())
	on, err := startServer(ctx, "berth (batching on)", onArgv, ready(berthOnPort), 20*time.Second)
	switch {
	case errors.Is(err, errUnknownFlag):
		fmt.Fprintf(os.Stderr, "throughput: batching on: unavailable (%s has no --max-batch-size)\n", c.berth)
		res.batchingUnavailable = true
	case err != nil:
		return err
	default:
		defer on.stop()
		targets = append(targets, target{kind: kindBerthOn,
			label: fmt.Sprintf("berth, batching on (≤ %d rows, %s)", c.batchSize, c.queueDelay), url: infer(berthOnPort), pid: on.pid()})
	}

	if c.node != "" {
		argv := []string{c.node, c.nodeServer, "--model", m.onnxFile(), "--port", nodePort, "--threads", strconv.Itoa(max(c.intraOp, 1))}
		node, err := startServer(ctx, "the Node.js peer", argv, "http://127.0.0.1:"+nodePort+"/ping", 20*time.Second)
		if err != nil {
			return err
		}
		defer node.stop()
		targets = append(targets, target{kind: kindNode, label: "Node.js + onnxruntime-node", url: "http://127.0.0.1:" + nodePort + "/v2/models/m/infer", pid: node.pid()})
	}

	for _, t := range targets {
		var ref []float64
		if t.kind != kindFloor && t.kind != kindBerthMLflow && t.kind != kindBerthPinnedMLflow && t.kind != kindBerthBMLflow { // MLflow's answer is not OIP v2
			ref = want
		}
		if err := m.check(ctx, t, ref); err != nil {
			return fmt.Errorf("checking %s at %s: %w", t.label, t.url, err)
		}
	}
	fmt.Fprintf(os.Stderr, "throughput: %s: every target answers %s %v as bare ONNX Runtime does\n", m.name, m.output, m.outShape)
	if c.warmup > 0 {
		for _, t := range targets {
			if t.body != "" {
				if _, err := w.run(ctx, t.url, t.body, t.headerLen, slices.Max(m.levels), c.warmup); err != nil {
					return err
				}
				continue
			}
			if _, err := w.run(ctx, t.url, m.body, "", slices.Max(m.levels), c.warmup); err != nil {
				return err
			}
		}
	}

	bareTarget := target{kind: kindBare, label: "bare ONNX Runtime in-process (runs/s)", bare: bare}
	// What batching can gain at best: batches of -max-batch-size rows, one
	// run at a time per CPU (berth's default with batching on), measured
	// at the highest level only, to keep the run short.
	batchTarget := target{kind: kindBareBatch, bare: bare.batched(c.batchSize), goroutines: runtime.NumCPU(),
		label: fmt.Sprintf("bare ONNX Runtime in-process, batches of %d, %d at a time (rows/s)", c.batchSize, runtime.NumCPU())}
	for _, n := range m.levels {
		ts := append(slices.Clone(targets), bareTarget)
		if n == slices.Max(m.levels) && !res.batchingUnavailable {
			ts = append(ts, batchTarget)
		}
		fmt.Fprintf(os.Stderr, "throughput: %s, concurrency %d: %d targets × %d turns of %s\n", m.name, n, len(ts), c.turns, c.turn)
		merged, err := inTurns(ctx, ts, w, m.body, n, c.turns, c.turn)
		if err != nil {
			return err
		}
		for k, t := range ts {
			res.cells = append(res.cells, cell{model: m.name, target: t, conc: n, s: merged[k]})
		}
	}
	return nil
}
