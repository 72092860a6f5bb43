#!/bin/sh
# Installs the pinned packages of the Node.js example consumer
# (sqs-consumer, @aws-sdk/client-sqs). CI calls this before `go test`;
# without it examples/node's tests skip and say so.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
