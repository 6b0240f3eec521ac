#!/usr/bin/env bash
# Full-profile runs for a machine with a GPU and many cores; results go to reports/full/
# (named with the suite and the machine) and, when $OUT is set, are copied there too.
#   bash scripts/full_profile.sh            # everything
#   STEPS="bench" bash scripts/full_profile.sh
#   STEPS="pinn_ks pinn_report" PINN_S=480 bash scripts/full_profile.sh
# Optional time limits in seconds (0: none): BENCH_LIMIT, DATA_LIMIT, VERIFY_LIMIT.
# The benchmark runs our integrator on the GPU; the database and the verification are
# thousands of small independent ODE solves and run on CPU workers (JAX_PLATFORMS=cpu).
# pinn_ac / pinn_ks: train-pinn's full preset of Allen-Cahn / KS (causal, seed 0) into
# runs/pinn-full; PINN_S (0: none) is train-pinn's time_limit_s, after which the run is
# evaluated as it stands (shared by the time windows; a rerun resumes). pinn_report:
# bench-pinn assembled from the runs under runs/ (nothing trained) plus the speed records.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
STEPS=${STEPS:-"bench data verify"}
PINN_S=${PINN_S:-0}
WORKERS=${WORKERS:-$(( $(nproc) - 2 ))}
export PYTHONUNBUFFERED=1
stamp=$(mktemp); trap 'rm -f "$stamp"' EXIT
run() { local limit=$1; shift; echo "== $* (limit ${limit}s)"; local t0=$SECONDS
        timeout "$limit" "$@"; echo "== exit $? after $((SECONDS - t0))s"; }
for step in $STEPS; do
  case $step in
    bench)  run "${BENCH_LIMIT:-0}" $PY -m pipelines bench-chaos --profile full ;;
    data)   JAX_PLATFORMS=cpu run "${DATA_LIMIT:-0}" $PY -m pipelines data-chaos --profile full \
              --set executor=dask --set workers="$WORKERS" --set out_dir=/tmp/chaos-full ;;
    verify) JAX_PLATFORMS=cpu run "${VERIFY_LIMIT:-0}" $PY -m pipelines verify-chaos --profile full \
              --set workers="$WORKERS" ;;
    pinn_ac|pinn_ks)
            problem=$([ "$step" = pinn_ac ] && echo allen_cahn || echo ks)
            run 0 $PY -m pipelines train-pinn --profile full --set problem=$problem method=causal 'seeds=[0]' \
              out_dir=runs/pinn-full time_limit_s="$PINN_S" ;;
    pinn_report)
            run 0 $PY -m pipelines bench-pinn --profile full --set train_missing=false target_cap=0 \
              'curve_betas=[]' 'problems=["allen_cahn","ks_regular","convection_beta50"]' 'methods=["causal","r3"]' ;;
  esac
done
# only this run's results travel back (a device returns few files)
if [ -n "${OUT:-}" ]; then find reports/full -name '*.json' -newer "$stamp" -exec cp {} "$OUT"/ \;; ls -la "$OUT"; fi
