#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs, from Debian, what the real testbed (validation/) needs. Idempotent; run as root.
# The default kubemind build and CI never need any of this.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then echo "setup.sh: run as root" >&2; exit 1; fi
pkgs=(libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      iptables haproxy iproute2 curl python3-yaml nlohmann-json3-dev cmake ninja-build g++ pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# iptables: kube-proxy's iptables mode uses the nft or legacy backend; either works inside a netns.
for t in protoc grpc_cpp_plugin iptables haproxy ip /usr/bin/python3; do
  command -v "$t" >/dev/null || { echo "setup.sh: $t missing after install" >&2; exit 1; }
done
echo "setup.sh: testbed dependencies present (${#missing[@]} installed now)"
