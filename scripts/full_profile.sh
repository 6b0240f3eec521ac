#!/usr/bin/env bash
# Full-profile runs for a machine with a GPU and many cores; results go to reports/full/
# (named with the suite and the machine) and, when $OUT is set, are copied there too.
#   bash scripts/full_profile.sh            # everything
#   STEPS="bench" bash scripts/full_profile.sh
#   STEPS="pinn_ks pinn_report" PINN_S=480 bash scripts/full_profile.sh
# Optional time limits in seconds (0: none): BENCH_LIMIT, DATA_LIMIT, VERIFY_LIMIT.
# The benchmark runs our integrator on the GPU; the database and the verification are
# thousands of small independent ODE solves and run on CPU workers (JAX_PLATFORMS=cpu).
# pinn_ac / pinn_ks: train-pinn's full preset of Allen-Cahn / KS (causal; seeds PINN_SEEDS, default "0",
# comma-separated, e.g. PINN_SEEDS=1,2: about 6 min a seed for Allen-Cahn on an H200) into
# runs/pinn-full; PINN_S (0: none) is train-pinn's time_limit_s, after which the run is
# evaluated as it stands (shared by the time windows; a rerun on the same machine resumes). KS's
# full preset (10 windows of 50k steps on the paper's regular case) is far more than one 15-min
# device session, and the checkpoints stay on the device: within one session PINN_S stops it
# partway, which the report records as such. pinn_report:
# bench-pinn assembled from the runs under runs/ (nothing trained) plus the speed records.
# ops_elasticity: the NUNO anchor's elasticity recipe (OPS_EPOCHS, 500: 1000/200 samples, density
# input, torch Adam's coupled L2; nuno_fourier with dropout 0.1 and lr x0.1 at epoch 400,
# FNO-interp halved every 100 as the anchor's interp_fno.py; the anchor's grids: nuno_fourier's
# trunk on 32x32 unpadded, FNO-interp on 41x41 padded to 50x50) on the packed elasticity set, which a
# machine without DOLFINx gets as .carry/elasticity.tgz (OPS_SET: more bench settings, e.g.
# "n_train=40 n_test=10" for a dry run). Prepare here, then run there:
#   .venv/bin/python scripts/pack_points.py elasticity data/pdes-full .carry/elasticity.tgz --samples 1200
#   optional (the interpolated grids, about 30 s each on this CPU), for each model M:
#     cp runs/<an elasticity run at these grids>/full/elasticity-M/point_setup_cache.npz .carry/cache-M.npz
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl h5netcdf==1.8.2
#   device: carry [".carry", ".whl"], command: python3 -m pip install -q --no-index --no-deps --target
#     /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site && STEPS=ops_elasticity bash scripts/full_profile.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
STEPS=${STEPS:-"bench data verify"}
PINN_S=${PINN_S:-0}
PINN_SEEDS=${PINN_SEEDS:-0}
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
            run 0 $PY -m pipelines train-pinn --profile full --set problem=$problem method=causal "seeds=[$PINN_SEEDS]" \
              out_dir=runs/pinn-full time_limit_s="$PINN_S" ;;
    ops_elasticity)
            mkdir -p data/carry && tar xzf .carry/elasticity.tgz -C data/carry || exit 1
            for model in fno_interp nuno_fourier; do  # used only where its digest matches the data and grid
              [ -f .carry/cache-$model.npz ] && mkdir -p runs/bench-operators-anchor/full/elasticity-$model \
                && cp .carry/cache-$model.npz runs/bench-operators-anchor/full/elasticity-$model/point_setup_cache.npz
            done
            both="elasticity:fno_interp elasticity:nuno_fourier"
            sets=(data_dir=data/carry density_bandwidth=0.05 weight_decay_mode=coupled)
            overrides=$(for pair in $both; do for s in "${sets[@]}"; do printf '"%s:%s",' "$pair" "$s"; done; done)
            overrides+='"elasticity:fno_interp:decay_every=100","elasticity:nuno_fourier:decay_every=400",'
            overrides+='"elasticity:nuno_fourier:gamma=0.1","elasticity:nuno_fourier:dropout=0.1",'
            overrides+='"elasticity:nuno_fourier:grid_shape=[32,32]","elasticity:fno_interp:grid_shape=[41,41]",'
            overrides+='"elasticity:fno_interp:padding=9"'
            run 0 $PY -m pipelines bench-operators --profile full --set epochs="${OPS_EPOCHS:-500}" ${OPS_SET:-} \
              'pairs=["elasticity:fno_interp","elasticity:nuno_fourier"]' superres_subsample=0 neuralop_python=none \
              "pair_overrides=[$overrides]" out_dir=runs/bench-operators-anchor \
              --out reports/full/operators-elasticity-anchor ;;
    pinn_report)
            run 0 $PY -m pipelines bench-pinn --profile full --set train_missing=false target_cap=0 \
              'curve_betas=[]' 'problems=["allen_cahn","ks_regular","convection_beta50"]' 'methods=["causal","r3"]' ;;
  esac
done
# only this run's results travel back (a device returns few files)
if [ -n "${OUT:-}" ]; then find reports/full -name '*.json' -newer "$stamp" -exec cp {} "$OUT"/ \;; ls -la "$OUT"; fi
