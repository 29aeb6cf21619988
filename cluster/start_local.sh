#!/usr/bin/env bash
# A Ray cluster on this one machine: a head node and N worker nodes, loopback only, token authentication
# (the token is ~/.ray/auth_token, generated if missing).
#   cluster/start_local.sh [WORKERS=1] [CPUS_PER_NODE=1]
# Environment: RAY (the ray command), PORT (GCS, 6379), DASHBOARD_PORT (8265), TEMP_DIR (Ray's temp root),
# HEAD_CPUS (the head's CPUs, CPUS_PER_NODE by default; 0 as on the shipped cluster specs), PRIVATE
# (directories, space-separated, that every node gets as a private empty tmpfs: each node starts in its own
# mount namespace, so nodes share nothing but the network, as KubeRay pods without a shared volume; give it the
# run root and $PROPERSIM_CACHE).
# Then, from the repository root:
#   export RAY_AUTH_MODE=token
#   ray job submit --address http://127.0.0.1:8265 --working-dir . \
#       --runtime-env cluster/runtime_env.yaml -- python -m jobs.run jobs/baselines.yaml --out /tmp/runs/q
#   propersim run jobs/baselines.yaml runtime.shards=2 --address 127.0.0.1:6379
# Stop with `ray stop`. Where nothing may leave loopback, run this and the commands above in scripts/isolated.
set -euo pipefail
WORKERS=${1:-1}
CPUS=${2:-1}
RAY=${RAY:-ray}
PORT=${PORT:-6379}
DASHBOARD_PORT=${DASHBOARD_PORT:-8265}
TEMP=(); [ -n "${TEMP_DIR:-}" ] && TEMP=(--temp-dir="$TEMP_DIR")
STORE=$((256 * 1024 * 1024))
# node CMD...: CMD, in a mount namespace of its own with a fresh tmpfs over each PRIVATE directory
node() {
  if [ -z "${PRIVATE:-}" ]; then "$@"; return; fi
  unshare -m sh -c 'for d in $PRIVATE; do mkdir -p "$d" && mount -t tmpfs tmpfs "$d" || exit 1; done; exec "$@"' \
      node "$@"
}
export RAY_AUTH_MODE=token
"$RAY" get-auth-token >/dev/null 2>&1 || "$RAY" get-auth-token --generate >/dev/null
node "$RAY" start --head --node-ip-address=127.0.0.1 --port="$PORT" --num-cpus="${HEAD_CPUS:-$CPUS}" "${TEMP[@]}" \
    --dashboard-host=127.0.0.1 --dashboard-port="$DASHBOARD_PORT" --object-store-memory=$STORE \
    --disable-usage-stats
for _ in $(seq 1 "$WORKERS"); do
  node "$RAY" start --address="127.0.0.1:$PORT" --node-ip-address=127.0.0.1 --num-cpus="$CPUS" "${TEMP[@]}" \
      --object-store-memory=$STORE --disable-usage-stats
done
# `ray start` returns before a worker has registered with the head: wait until every node is up, so that a
# command run right after this script sees the whole cluster.
for _ in $(seq 1 120); do
  nodes=$("$RAY" status --address="127.0.0.1:$PORT" 2>/dev/null | grep -c " node_" || true)
  [ "$nodes" -ge $((WORKERS + 1)) ] && exit 0
  sleep 0.5
done
echo "start_local.sh: only $nodes of $((WORKERS + 1)) nodes registered after 60 s" >&2
exit 1
