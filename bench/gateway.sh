#!/usr/bin/env bash
# The LLM gateway's part of `make bench` (docs/gateway.md, "Speed"; issue 18):
# 1. bench/cmd/gatewaybench, three runs: the latency the gateway adds at c=64
#    over an upstream answering in 20 ms (client, gateway and upstream each
#    a process of their own, on this machine's cores), and req/s through it
#    against an instant upstream with gateway keys and limits on. A p99 over
#    a few seconds of calls moves from run to run on a shared 2-core VM,
#    hence three runs. -inprocess and -pin are the other layouts.
# 2. bench/cmd/gatewaysoak: 1,000 streams held open at once (RSS, goroutines
#    during and after), then a one-minute soak; -duration 1h for the hour.
# Flags go to gatewaybench.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/gatewaybench ./bench/cmd/gatewaybench
go build -o bin/gatewaysoak ./bench/cmd/gatewaysoak
for run in 1 2 3; do
	echo "== gateway added latency and throughput, run $run of 3 (bench/cmd/gatewaybench)"
	bin/gatewaybench -rounds 5 "$@"
	echo
done
echo "== 1,000 streams through the gateway, then a one-minute soak (bench/cmd/gatewaysoak)"
bin/gatewaysoak -duration 1m -sample 20s
