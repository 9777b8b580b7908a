#!/bin/bash
# The first N iterations (default 20, a multiple of 5) of both of make walk's stages, for checking that a
# refactor leaves training bit-identical: run it on the tree before and the tree after, then
# tools/compare_runs.py OUT_BEFORE OUT_AFTER N. The muscle stage starts from the pd stage's ckpt_5 (make walk
# uses the final pd checkpoint; any fixed one serves for the comparison).
# Usage: N=20 bash tools/walk_prefix.sh REPO OUT      (REPO's .venv runs it)
set -u
REPO=$(cd "$1" && pwd); OUT=$2; N=${N:-20}; PY=$REPO/.venv/bin/python
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
COMMON="envs=32 model.obs_norm=true ppo.target_kl=null wandb.mode=offline checkpoint_every=5"  # make walk's WALK_COMMON, checkpoints every 5
rm -rf "$OUT"; mkdir -p "$OUT"
stage() {  # stage NAME OVERRIDES...: trains until ckpt_N exists, then stops the run
  local name=$1; shift
  # exec: the kill below must reach the trainer itself, not only the subshell (else it trains on, orphaned)
  (cd "$REPO" && exec $PY -m bidir_ppo.train $COMMON "$@" run_dir="$OUT/$name" > "$OUT/$name.log" 2>&1) &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    if [ -d "$OUT/$name/ckpt_$N" ]; then sleep 2; kill $pid; break; fi
    sleep 2
  done
  wait $pid
  [ -d "$OUT/$name/ckpt_$N" ] || { echo "stage $name stopped before ckpt_$N: $OUT/$name.log" >&2; exit 1; }
}
stage pd env.name="$REPO/examples/walk/pd.yaml" total_steps=3000000
stage muscle env.name="$REPO/examples/walk/muscle.yaml" total_steps=1000000 init="$OUT/pd/ckpt_5"
echo "done: $OUT/pd and $OUT/muscle, $N iterations each"
