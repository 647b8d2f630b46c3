#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints the YAML documents of FILE that are (job-only) or are not (without-job) a batch/v1 Job, so
# kind/run.sh can start the load generator only once the pods it loads are Ready.
set -euo pipefail
exec /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
want_job = sys.argv[2] == "job-only"
print(yaml.safe_dump_all([d for d in docs if (d.get("kind") == "Job") == want_job], sort_keys=False))
PY
