// Package bench holds berth's benchmarks: the scripts and commands behind
// `make bench`, which measure berth against a baseline in the same run.
package bench
