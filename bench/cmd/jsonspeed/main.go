// Command jsonspeed measures how fast berth turns a JSON request body of
// numbers into the model's tensor, beside encoding/json, encoding/json/v2
// (github.com/go-json-experiment/json), gjson and a no-parse scan floor
// over the same bytes, and prints a markdown table (docs/speed.md quotes
// it).
//
// The bodies are the OCR classifier's serving_input_example.json as
// MLflow wrote it (testdata/models/ocr_cls: 850 kB, a float32 [1, 3, 48,
// 192] tensor in full float64 repr, pretty-printed), the same numbers in
// MLflow's other body shapes and in OIP v2 JSON, "inputs" bodies of 1 kB
// to 10 MB (about 1 MB of distinct bodies of each size, read in turn: a
// loop over one small body lets the branch predictor learn it), and
// 10,000 rows of the iris examples MLflow wrote ("inputs" and
// dataframe_split: tabular rows four numbers wide). Every decoder
// runs in alternating turns (the machine is shared) and is timed in
// process CPU time (user + system, GC included), not wall time; a figure
// is the median of the turns, and the ratio to the floor the median of
// each turn's own ratio. berth's tensor is checked element for
// element against float32 of encoding/json's float64, MLflow's rule,
// before anything is timed.
//
// Usage: go run ./bench/cmd/jsonspeed [-turns 3] [-min 150ms] [-root .]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	turns := flag.Int("turns", 3, "alternating turns; a figure is the median")
	minCPU := flag.Duration("min", 150*time.Millisecond, "CPU time per decoder, body and turn")
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	log.SetFlags(0)

	ocr, err := ocrBodies(*root)
	if err != nil {
		log.Fatal(err)
	}
	iris, err := irisBodies(*root, 10000)
	if err != nil {
		log.Fatal(err)
	}
	bodies := append(append(ocr, sizedBodies()...), iris...)
	decs := decoders()
	for i := range bodies {
		if err := check(&bodies[i]); err != nil {
			log.Fatalf("%s %s: %v", bodies[i].name, bodies[i].shape, err)
		}
	}
	// rate[body][decoder] holds MB/s per turn; ratio[body] berth ÷ floor
	// per turn, the two measured next to each other: this shared VM's CPUs
	// slow down for seconds at a time, unseen from inside, and a turn's
	// own ratio moves less than the ratio of two medians.
	rate := make([][][]float64, len(bodies))
	ratio := make([][]float64, len(bodies))
	for i := range rate {
		rate[i] = make([][]float64, len(decs))
	}
	for t := range *turns {
		for i := range bodies {
			order := make([]int, len(decs))
			for k := range order {
				order[k] = (k + t + i) % len(decs) // alternate who goes first
			}
			for _, k := range order {
				run, err := decs[k].prepare(&bodies[i])
				if err != nil {
					log.Fatalf("%s on %s %s: %v", decs[k].name, bodies[i].name, bodies[i].shape, err)
				}
				rate[i][k] = append(rate[i][k], measure(run, bodies[i].size(), *minCPU))
			}
			ratio[i] = append(ratio[i], rate[i][0][t]/rate[i][len(decs)-1][t])
		}
		fmt.Fprintf(os.Stderr, "turn %d of %d done\n", t+1, *turns)
	}
	printTable(bodies, decs, rate, ratio, *turns)
}

// measure runs fn until it has used minCPU of process CPU time and
// returns MB/s (10^6 bytes per CPU second).
func measure(fn func() error, size int, minCPU time.Duration) float64 {
	if err := fn(); err != nil { // warm: pools, caches
		log.Fatal(err)
	}
	start := cpuTime()
	n := 0
	for cpuTime()-start < minCPU {
		for range 4 {
			if err := fn(); err != nil {
				log.Fatal(err)
			}
		}
		n += 4
	}
	return float64(size) * float64(n) / (cpuTime() - start).Seconds() / 1e6
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

func printTable(bodies []body, decs []decoder, rate [][][]float64, ratio [][]float64, turns int) {
	var b strings.Builder
	fmt.Fprintf(&b, "| body | shape | size | distinct bodies | berth MB/s | berth ms |")
	for _, d := range decs[1:] {
		fmt.Fprintf(&b, " %s MB/s |", d.name)
	}
	fmt.Fprintf(&b, " berth / floor (turns' range) | berth / encoding/json |\n|---|---|---:|---:|---:|---:|")
	for range decs[1:] {
		b.WriteString("---:|")
	}
	b.WriteString("---:|---:|\n")
	for i, bd := range bodies {
		name := bd.name
		if bd.real {
			name += " (MLflow's file)"
		}
		m := make([]float64, len(decs))
		for k := range decs {
			m[k] = median(rate[i][k])
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.0f | %.3f |", name, bd.shape, sizeName(bd.size()), len(bd.more)+1, m[0],
			float64(bd.size())/m[0]/1e3)
		for k := range decs[1:] {
			fmt.Fprintf(&b, " %.0f |", m[k+1])
		}
		lo, hi := slices.Min(ratio[i]), slices.Max(ratio[i])
		fmt.Fprintf(&b, " %.2f (%.2f–%.2f) | %.1f× |\n", median(ratio[i]), lo, hi, m[0]/m[1])
	}
	fmt.Fprintf(&b, "\nMB/s = 10^6 bytes per second of process CPU time (GC included), median of %d alternating turns; "+
		"berth / floor is the median of the turns' own ratios. Where there are several distinct bodies, every decoder "+
		"reads them in turn, so that none learns one body's numbers.\n", turns)
	fmt.Print(b.String())
}
