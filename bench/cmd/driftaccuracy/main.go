// Command driftaccuracy measures the false-alarm and detection rates of
// berth's drift decision rule on real data sets and writes them as a
// markdown table between the markers of docs/drift-accuracy.md:
//
//	go run ./bench/cmd/driftaccuracy [-splits 1000] [-doc docs/drift-accuracy.md]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/berthml/berth/bench/driftaccuracy"
	"github.com/berthml/berth/drift"
)

const (
	beginMarker = "<!-- driftaccuracy:begin -->"
	endMarker   = "<!-- driftaccuracy:end -->"
)

func main() {
	data := flag.String("data", "testdata/data", "directory of the data set CSVs")
	doc := flag.String("doc", "docs/drift-accuracy.md", "markdown file whose table to replace (empty: print it)")
	splits := flag.Int("splits", 1000, "same-distribution splits per cell")
	shiftSplits := flag.Int("shift-splits", 200, "splits per cell and shift")
	seed := flag.Uint64("seed", 14, "random seed")
	persistence := flag.Int("persistence", drift.DefaultPersistence, "consecutive drifting windows an alert needs")
	flag.Parse()
	if err := run(*data, *doc, *splits, *shiftSplits, *seed, *persistence); err != nil {
		fmt.Fprintln(os.Stderr, "driftaccuracy:", err)
		os.Exit(1)
	}
}

func run(data, doc string, splits, shiftSplits int, seed uint64, persistence int) error {
	start := time.Now()
	var sets []driftaccuracy.Dataset
	for _, name := range []string{"iris", "wine", "breast_cancer", "diabetes"} {
		d, err := driftaccuracy.LoadCSV(filepath.Join(data, name+".csv"))
		if err != nil {
			return err
		}
		sets = append(sets, d)
	}
	th := drift.DefaultThresholds()
	cfg := driftaccuracy.Config{Sizes: []int{50, 100, 500, 1000, 5000}, Splits: splits, ShiftSplits: shiftSplits,
		Seed: seed, Thresholds: th, Persistence: persistence}
	cells := make([]driftaccuracy.Cell, len(sets)*len(cfg.Sizes))
	errs := make([]error, len(cells))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, d := range sets {
		for j, n := range cfg.Sizes {
			k := i*len(cfg.Sizes) + j
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				cells[k], errs[k] = driftaccuracy.Measure(d, n, cfg, uint64(k))
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var tbl bytes.Buffer
	if err := driftaccuracy.WriteTable(&tbl, cells, persistence); err != nil {
		return err
	}
	misses := driftaccuracy.Misses(cells)
	fmt.Fprintf(&tbl, "\nMeasured with %d same-distribution splits and %d splits per shift per cell, seed %d, in %s on %d CPUs.\n",
		splits, shiftSplits, seed, time.Since(start).Round(time.Second), runtime.GOMAXPROCS(0))
	if len(misses) == 0 {
		tbl.WriteString("Every cell meets its goals.\n")
	} else {
		tbl.WriteString("\nCells that miss a goal:\n\n")
		for _, m := range misses {
			tbl.WriteString("- " + m + "\n")
		}
	}
	if doc == "" {
		_, err := os.Stdout.Write(tbl.Bytes())
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	s := string(old)
	b, e := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if b < 0 || e < b {
		return fmt.Errorf("%s has no %s … %s markers", doc, beginMarker, endMarker)
	}
	s = s[:b+len(beginMarker)] + "\n" + tbl.String() + s[e:]
	if err := os.WriteFile(doc, []byte(s), 0o644); err != nil {
		return err
	}
	fmt.Print(tbl.String())
	return nil
}
