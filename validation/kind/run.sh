#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Kind path (UNTESTED on the machine that wrote it: no Docker engine there).
#   validation/kind/run.sh EXPERIMENT [OUTDIR]      EXPERIMENT: loophole-l4 | l7-static
# Creates the kind cluster `kmval` if absent (kind-config.yaml), builds and loads the two images,
# installs KEDA (l7-static), applies manifests/common.yaml + loophole.yaml or fix.yaml, waits for the
# pods, runs the experiment's load generator Job and writes its summary to OUTDIR/summary.json
# (default validation/out-kind/EXPERIMENT), the same format local/run.sh writes, so
#   validation/compare.py EXPERIMENT --reuse --no-calibrate --out validation/out-kind
# compares it with kubemind. Deletes the namespace at the end (the cluster stays: `kind delete
# cluster --name kmval`). Needs docker, kind, kubectl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
keda_version=${KEDA_VERSION:-2.15.1}

[[ $# -ge 1 ]] || { echo "usage: $0 loophole-l4|l7-static [OUTDIR]" >&2; exit 2; }
exp=$1
out=${2:-$root/validation/out-kind/$exp}
case $exp in
  loophole-l4) manifest=loophole.yaml ;;
  l7-static) manifest=fix.yaml ;;
  *) echo "kind/run.sh: only loophole-l4 and l7-static have manifests" >&2; exit 2 ;;
esac
for t in docker kind kubectl; do command -v "$t" >/dev/null || { echo "kind/run.sh: $t not found" >&2; exit 2; }; done
mkdir -p "$out"

kind get clusters 2>/dev/null | grep -qx kmval || kind create cluster --config "$here/kind-config.yaml"
kubectl config use-context kind-kmval >/dev/null
for target in backend loadgen; do
  docker build -f "$here/Dockerfile" --target "$target" -t "kmval/$target:dev" "$root"
  kind load docker-image --name kmval "kmval/$target:dev"
done
if [[ $exp == l7-static ]]; then
  kubectl apply --server-side -f "https://github.com/kedacore/keda/releases/download/v$keda_version/keda-$keda_version.yaml"
  kubectl -n keda rollout status deployment/keda-operator --timeout=180s
fi

cleanup() { kubectl delete namespace kmval --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true; }
trap cleanup EXIT
kubectl apply -f "$here/manifests/common.yaml"
"$here/split_job.sh" "$here/manifests/$manifest" without-job | kubectl apply -f -
kubectl -n kmval rollout status deployment/inference --timeout=180s
[[ $exp == l7-static ]] && kubectl -n kmval rollout status deployment/envoy --timeout=180s
"$here/split_job.sh" "$here/manifests/$manifest" job-only | kubectl apply -f -
job=loadgen-$exp
kubectl -n kmval wait --for=condition=complete "job/$job" --timeout=300s
kubectl -n kmval logs "job/$job" >"$out/summary.json"
kubectl -n kmval get pods -o wide >"$out/pods.txt"
echo "kind/run.sh: $exp done: $out/summary.json" >&2
