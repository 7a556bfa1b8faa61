package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// printTable writes the results as Markdown, with each berth row's
// throughput as a share of the floor's at the same concurrency.
func printTable(w io.Writer, rows []row, ready time.Duration, c config) {
	floor := map[int]float64{}
	for _, r := range rows {
		if r.target == "floor: net/http JSON, no model" {
			floor[r.conc] = r.rps
		}
	}
	fmt.Fprintf(w, "\nberth bench — model %s, %d CPUs, %s per cell, %s\n\n", c.model, runtime.NumCPU(), c.duration, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(w, "| target | concurrency | req/s | p50 | p99 | vs floor |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		share := "—"
		if f := floor[r.conc]; f > 0 && r.target != "floor: net/http JSON, no model" && r.p50 > 0 {
			share = fmt.Sprintf("%.0f%%", 100*r.rps/f)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s |\n", r.target, r.conc, r.rps, ms(r.p50), ms(r.p99), share)
	}
	fmt.Fprintf(w, "\nstart to ready (exec → 200 on /v2/health/ready, model loaded and warmed up), median of %d: %s (target < 100 ms)\n", c.starts, ms(ready))
	maxConc := c.conc[len(c.conc)-1]
	for _, r := range rows {
		if r.conc == maxConc && floor[maxConc] > 0 && (r.target == "berth /invocations" || r.target == "bare-bones Go + ONNX Runtime server") {
			fmt.Fprintf(w, "%s at concurrency %d: %.0f%% of the floor\n", r.target, maxConc, 100*r.rps/floor[maxConc])
		}
	}
}
