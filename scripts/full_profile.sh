#!/usr/bin/env bash
# Full-profile runs for a machine with a GPU and many cores; results go to reports/full/
# (named with the suite and the machine) and, when $OUT is set, are copied there too.
#   bash scripts/full_profile.sh            # everything
#   STEPS="bench" bash scripts/full_profile.sh
# Optional time limits in seconds (0: none): BENCH_LIMIT, DATA_LIMIT, VERIFY_LIMIT.
# The benchmark runs our integrator on the GPU; the database and the verification are
# thousands of small independent ODE solves and run on CPU workers (JAX_PLATFORMS=cpu).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
STEPS=${STEPS:-"bench data verify"}
WORKERS=${WORKERS:-$(( $(nproc) - 2 ))}
export PYTHONUNBUFFERED=1
run() { local limit=$1; shift; echo "== $* (limit ${limit}s)"; local t0=$SECONDS
        timeout "$limit" "$@"; echo "== exit $? after $((SECONDS - t0))s"; }
for step in $STEPS; do
  case $step in
    bench)  run "${BENCH_LIMIT:-0}" $PY -m pipelines bench-chaos --profile full ;;
    data)   JAX_PLATFORMS=cpu run "${DATA_LIMIT:-0}" $PY -m pipelines data-chaos --profile full \
              --set executor=dask --set workers="$WORKERS" --set out_dir=/tmp/chaos-full ;;
    verify) JAX_PLATFORMS=cpu run "${VERIFY_LIMIT:-0}" $PY -m pipelines verify-chaos --profile full \
              --set workers="$WORKERS" ;;
  esac
done
if [ -n "${OUT:-}" ]; then cp reports/full/*.json "$OUT"/ 2>/dev/null; ls -la "$OUT"; fi
