#!/usr/bin/env bash
# A Ray cluster on this one machine: a head node and N worker nodes, loopback only.
#   cluster/start_local.sh [WORKERS=1] [CPUS_PER_NODE=1]
# then, from the repository root:
#   ray job submit --address http://127.0.0.1:8265 --working-dir . \
#       --runtime-env cluster/runtime_env.yaml -- python -m jobs.run jobs/quickstart.yaml --out /tmp/runs/q
#   propersim run jobs/quickstart.yaml --address 127.0.0.1:6379 runtime.shards=2
# stop with: ray stop
# On machines where nothing may leave loopback, run this and the commands above inside scripts/isolated.
set -euo pipefail
WORKERS=${1:-1}
CPUS=${2:-1}
RAY=${RAY:-ray}
"$RAY" start --head --node-ip-address=127.0.0.1 --port=6379 --num-cpus="$CPUS" \
    --dashboard-host=127.0.0.1 --object-store-memory=$((256 * 1024 * 1024)) --disable-usage-stats
for _ in $(seq 1 "$WORKERS"); do
  "$RAY" start --address=127.0.0.1:6379 --node-ip-address=127.0.0.1 --num-cpus="$CPUS" \
      --object-store-memory=$((256 * 1024 * 1024)) --disable-usage-stats
done
"$RAY" status
