#!/usr/bin/env bash
# Run every benchmark in sequence against PostgreSQL + Redis on 127.0.0.1 (see bench/README.md).
# Each benchmark bounds itself to under 3 minutes; `timeout` is a second fence around it.
# Exit status: 0 when every benchmark ran (goals met or not), 1 when one could not run.
set -u
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
status=0
for name in api_audit dashboard_audit job_latency deep_pages member_ties spaces_pages spaces_all storage_pages plugins_install; do
    timeout --signal=TERM 200 "$PY" "bench/$name.py" || status=1
    echo
done
# The catalog benchmarks and the storage export work on millions of rows and bound themselves by their size
# (about 5 minutes each at the defaults; see bench/README.md).
for name in imports catalog_pages global_keys storage_export; do
    timeout --signal=TERM 600 "$PY" "bench/$name.py" || status=1
    echo
done
exit "$status"
