#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The nat rules kube-proxy's iptables mode writes for one ClusterIP service port, as an
iptables-restore input (the form kube-proxy itself feeds iptables-restore).

Modelled on kubernetes/kubernetes pkg/proxy/iptables/proxier.go (syncProxyRules, writeServiceToEndpointRules):
- chain names: KUBE-SVC-/KUBE-SEP- + the first 16 characters of base32(sha256(name)) where name is
  servicePortName + protocol (service) or servicePortName + protocol + endpoint (endpoint);
- OUTPUT -> KUBE-SERVICES -> (ClusterIP:port) KUBE-SVC-*;
- KUBE-SVC-*: endpoint i of n is reached with `-m statistic --mode random --probability 1/(n-i)`
  (formatted %0.10f), the last one unconditionally, so each endpoint gets 1/n of NEW connections;
- KUBE-SEP-*: DNAT to the endpoint. Conntrack keeps every later packet of a connection on the
  endpoint its first packet chose, so rewriting these chains never moves an existing connection.
Simplifications: no KUBE-MARK-MASQ / POSTROUTING (everything stays on one loopback), no
KUBE-NODEPORTS, no session affinity.
Usage: kube_proxy_rules.py CLUSTER_IP PORT ENDPOINT... (ENDPOINT = ip:port) > rules.txt
"""
import base64
import hashlib
import sys

SERVICE_PORT_NAME = "default/inference:grpc"
PROTOCOL = "tcp"


def port_proto_hash(name):
    return base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:16]


def rules(cluster_ip, port, endpoints):
    svc = "KUBE-SVC-" + port_proto_hash(SERVICE_PORT_NAME + PROTOCOL)
    seps = ["KUBE-SEP-" + port_proto_hash(SERVICE_PORT_NAME + PROTOCOL + ep) for ep in endpoints]
    out = ["*nat", ":KUBE-SERVICES - [0:0]", f":{svc} - [0:0]"]
    out += [f":{s} - [0:0]" for s in seps]
    out.append(f'-A KUBE-SERVICES -d {cluster_ip}/32 -p tcp -m comment --comment "{SERVICE_PORT_NAME} cluster IP" '
               f"-m tcp --dport {port} -j {svc}")
    n = len(endpoints)
    for i, (ep, sep) in enumerate(zip(endpoints, seps)):
        rule = f'-A {svc} -m comment --comment "{SERVICE_PORT_NAME} -> {ep}"'
        if i < n - 1:
            rule += f" -m statistic --mode random --probability {1.0 / (n - i):0.10f}"
        out.append(rule + f" -j {sep}")
    for ep, sep in zip(endpoints, seps):
        out.append(f'-A {sep} -m comment --comment "{SERVICE_PORT_NAME}" -p tcp -m tcp -j DNAT --to-destination {ep}')
    out.append("COMMIT")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.stdout.write(rules(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
