#!/usr/bin/env bash
# bidir on a Ray cluster started by hand (docs/cluster.md). Every node needs the same bidir install
# (pip install 'bidir-ppo[ray]', or the conda packages plus ray-core) and the same env/model files.
#
#   on the head node:     bash ray-start.sh head
#   on every other node:  bash ray-start.sh worker HEAD_IP
#   then, on the head:    bash ray-start.sh train
set -euo pipefail
PORT=${RAY_PORT:-6379}
CPUS=${CPUS:-$(nproc)}
case "${1:-}" in
  head)
    ray start --head --port="$PORT" --num-cpus="$CPUS" --include-dashboard=false ;;
  worker)
    ray start --address="${2:?usage: worker HEAD_IP}:$PORT" --num-cpus="$CPUS" ;;
  train)
    # 16 workers x 32 envs = 512 envs; each worker reserves 1 CPU and steps its envs with 1 thread
    python -m bidir_ppo.train env=A2_sep rollout=ray ray.address=auto ray.workers=16 ray.envs_per_worker=32 \
      ppo.num_steps=128 ppo.num_minibatches=64 run_dir=runs/cluster ;;
  stop)
    ray stop ;;
  *)
    echo "usage: $0 head | worker HEAD_IP | train | stop" >&2; exit 2 ;;
esac
