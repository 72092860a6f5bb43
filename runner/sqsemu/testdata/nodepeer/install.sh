#!/bin/sh
# Installs the pinned local-aws-sqs emulator that BenchmarkServerCPUPerOp
# (runner/sqsemu) runs side by side with sqsemu. Without it the peer half
# of the benchmark skips and says so.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
