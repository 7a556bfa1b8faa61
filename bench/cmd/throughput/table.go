package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// The targets, as ratios from one run.
const (
	// CNN at concurrency 32: batching on gives at least 1.5× the
	// throughput of batching off, with a p99 at most 2× batching off's.
	batchConc     = 32
	batchGain     = 1.5
	batchP99Ratio = 2.0
	// iris at concurrency 64: berth gives at least 1.5× the Node.js peer's
	// throughput.
	peerConc = 64
	peerGain = 1.5
	// The compute-bound CNN at batch 1 (concurrency 1): berth keeps at
	// least 90% of bare ONNX Runtime's throughput.
	bareConc  = 1
	bareShare = 0.9
)

// cell is one row of the table.
type cell struct {
	model  string
	target target
	conc   int
	s      sample
}

// results is everything one run measured.
type results struct {
	cells               []cell
	batchSize           int
	queueDelay          time.Duration
	batchingUnavailable bool
}

// find returns the cell of model, kind and concurrency.
func (r *results) find(model string, k kind, conc int) (sample, bool) {
	for _, c := range r.cells {
		if c.model == model && c.target.kind == k && c.conc == conc {
			return c.s, true
		}
	}
	return sample{}, false
}

// ratio is the cell's throughput over that of the baseline of kind k at
// the same model and concurrency.
func (r *results) ratio(c cell, k kind) string {
	base, ok := r.find(c.model, k, c.conc)
	if !ok || c.target.kind == k || base.rps() == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", c.s.rps()/base.rps())
}

// cpuRatio is bare ONNX Runtime's CPU time per run (same model and
// concurrency) over the cell's CPU time per request.
func (r *results) cpuRatio(c cell) string {
	base, ok := r.find(c.model, kindBare, c.conc)
	if !ok || c.target.kind == kindBare {
		return "—"
	}
	b, ok1 := base.cpuPerRequest()
	t, ok2 := c.s.cpuPerRequest()
	if !ok1 || !ok2 || t == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", float64(b)/float64(t))
}

func cpuMS(s sample) string {
	d, ok := s.cpuPerRequest()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

// clientMS is wrk's CPU time per request, for the HTTP targets.
func clientMS(c cell) string {
	if c.target.bare != nil || c.s.requests == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(c.s.clientCPU)/float64(c.s.requests)/float64(time.Millisecond))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// print writes the table and the target checks as Markdown.
func (r *results) print(w io.Writer, c config) {
	fmt.Fprintf(w, "\nberth throughput — %d CPUs, wrk, %d turns of %s per cell, %s\n\n",
		runtime.NumCPU(), c.turns, c.turn, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(w, "| model | target | concurrency | req/s | p50 | p99 | errors | ÷ berth, batching off | ÷ bare ORT | CPU ms/req | ÷ bare ORT (CPU) | wrk CPU ms/req |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var errs int64
	for _, x := range r.cells {
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %d | %s | %s | %s | %s | %s |\n", x.model, x.target.label, x.conc,
			x.s.rps(), ms(x.s.percentile(50)), ms(x.s.percentile(99)), x.s.errors, r.ratio(x, kindBerthOff), r.ratio(x, kindBare),
			cpuMS(x.s), r.cpuRatio(x), clientMS(x))
		errs += x.s.errors
	}
	fmt.Fprintln(w, "\nCPU ms/req is the CPU time (user + system) the target's process spent per request (per row for batches): "+
		"the server's, from /proc, or this process's for bare ONNX Runtime. ÷ bare ORT (CPU) is bare's CPU time per run over "+
		"the target's per request, the throughput ratio a core would give; where it is well above the req/s ratio, the "+
		"difference is time the server waited (for the client, the network, a wake-up), not work it did.")
	if r.batchingUnavailable {
		fmt.Fprintf(w, "\nbatching on: unavailable (%s has no --max-batch-size)\n", c.berth)
	}
	if errs > 0 {
		fmt.Fprintf(w, "\n%d requests failed (non-2xx answers, socket errors or timeouts; see the errors column)\n", errs)
	}
	fmt.Fprintln(w, "\nTargets (ratios from this run):")
	for _, line := range r.checks() {
		fmt.Fprintln(w, "- "+line)
	}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// checks are the three targets, with what this run measured.
func (r *results) checks() []string {
	var out []string

	head := fmt.Sprintf("cnn, concurrency %d: batching on ≥ %.1f× batching off's req/s, p99 ≤ %.0f× batching off's: ", batchConc, batchGain, batchP99Ratio)
	on, okOn := r.find("cnn", kindBerthOn, batchConc)
	off, okOff := r.find("cnn", kindBerthOff, batchConc)
	switch {
	case r.batchingUnavailable:
		out = append(out, head+"not measured (batching on: unavailable)")
	case !okOn || !okOff || off.rps() == 0 || off.percentile(99) == 0:
		out = append(out, head+"not measured")
	default:
		g, p := on.rps()/off.rps(), float64(on.percentile(99))/float64(off.percentile(99))
		line := head + fmt.Sprintf("%.2f×, p99 %.2f× — %s", g, p, verdict(g >= batchGain && p <= batchP99Ratio))
		bare, ok1 := r.find("cnn", kindBare, batchConc)
		batch, ok2 := r.find("cnn", kindBareBatch, batchConc)
		if ok1 && ok2 && bare.rps() > 0 {
			line += fmt.Sprintf(" (the most batching could gain: bare ONNX Runtime's rows/s in batches of %d are %.2f× its runs/s at batch 1)",
				r.batchSize, batch.rps()/bare.rps())
		}
		out = append(out, line)
	}

	head = fmt.Sprintf("iris, concurrency %d: berth ≥ %.1f× the Node.js peer's req/s: ", peerConc, peerGain)
	node, okN := r.find("iris", kindNode, peerConc)
	off, okOff = r.find("iris", kindBerthOff, peerConc)
	if !okN || !okOff || node.rps() == 0 {
		out = append(out, head+"not measured")
	} else {
		g := off.rps() / node.rps()
		line := head + fmt.Sprintf("%.2f× with batching off (the default)", g)
		if on, ok := r.find("iris", kindBerthOn, peerConc); ok {
			line += fmt.Sprintf(", %.2f× with batching on", on.rps()/node.rps())
		}
		out = append(out, line+" — "+verdict(g >= peerGain))
	}

	head = fmt.Sprintf("cnn, concurrency %d (batch 1): berth ≥ %.0f%% of bare ONNX Runtime's throughput: ", bareConc, 100*bareShare)
	bare, okB := r.find("cnn", kindBare, bareConc)
	off, okOff = r.find("cnn", kindBerthOff, bareConc)
	if !okB || !okOff || bare.rps() == 0 {
		out = append(out, head+"not measured")
	} else {
		s := off.rps() / bare.rps()
		line := head + fmt.Sprintf("%.0f%% with JSON", 100*s)
		if bin, ok := r.find("cnn", kindBerthBinary, bareConc); ok {
			b := bin.rps() / bare.rps()
			s = max(s, b)
			line += fmt.Sprintf(", %.0f%% with binary tensor data", 100*b)
		}
		out = append(out, line+" — "+verdict(s >= bareShare))
	}

	// Issue 16: the real CNN at batch 1, over MLflow's own JSON body and
	// over the binary tensor extension, against bare ONNX Runtime.
	for _, n := range []int{1, 2} {
		bare, okB := r.find("ocr", kindBare, n)
		js, okJ := r.find("ocr", kindBerthMLflow, n)
		bin, okBin := r.find("ocr", kindBerthBinary, n)
		head := fmt.Sprintf("ocr, concurrency %d (batch 1): berth ≥ %.2f× bare ONNX Runtime with MLflow's JSON body, ≥ %.2f× with binary tensor data: ",
			n, ocrJSONShare, ocrBinaryShare)
		if !okB || !okJ || !okBin || bare.rps() == 0 {
			out = append(out, head+"not measured")
			continue
		}
		j, b := js.rps()/bare.rps(), bin.rps()/bare.rps()
		line := head + fmt.Sprintf("JSON %.2f× — %s; binary %.2f× — %s", j, verdict(j >= ocrJSONShare), b, verdict(b >= ocrBinaryShare))
		bc, ok1 := bare.cpuPerRequest()
		jc, ok2 := js.cpuPerRequest()
		binc, ok3 := bin.cpuPerRequest()
		if ok1 && ok2 && ok3 && jc > 0 && binc > 0 {
			line += fmt.Sprintf(" (in CPU time per request: JSON %.2f×, binary %.2f×)", float64(bc)/float64(jc), float64(bc)/float64(binc))
		}
		pj, okPJ := r.find("ocr", kindBerthPinnedMLflow, n)
		pb, okPB := r.find("ocr", kindBerthPinnedBinary, n)
		if okPJ && okPB {
			line += fmt.Sprintf("; berth under taskset (-pinned-berth): JSON %.2f×, binary %.2f×", pj.rps()/bare.rps(), pb.rps()/bare.rps())
		}
		bj, okBJ := r.find("ocr", kindBerthBMLflow, n)
		bb, okBB := r.find("ocr", kindBerthBBinary, n)
		if okBJ && okBB {
			line += fmt.Sprintf("; berth B (-berth-b): JSON %.2f×, binary %.2f×", bj.rps()/bare.rps(), bb.rps()/bare.rps())
			bjc, ok1 := bj.cpuPerRequest()
			bbc, ok2 := bb.cpuPerRequest()
			if ok1 && ok2 && bjc > 0 && bbc > 0 && bc > 0 {
				line += fmt.Sprintf(" (CPU: JSON %.2f×, binary %.2f×)", float64(bc)/float64(bjc), float64(bc)/float64(bbc))
			}
		}
		out = append(out, line)
	}
	return out
}

// Issue 16's targets for the OCR classifier.
const (
	ocrJSONShare   = 0.45
	ocrBinaryShare = 0.9
)
