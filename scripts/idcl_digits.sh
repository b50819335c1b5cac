#!/usr/bin/env bash
# IDCL on DIGITS: the full method and the ablations of IDCL Table 4 with Appendix F's augmentation
# (the default), the same five without it (-noaug), the paper's literal learning rate and our core-mean
# variant (both without augmentation), and IDCL's DEC and IDEC rows; one record per (variant, seed) in
# book/results/idcl/records. Existing records are kept, so an interrupted run resumes. Seeds go in order
# (all variants of seed 0 first), so a cut leaves whole seeds. Runs share pre-trained autoencoders
# through .cache/idcl and go two at a time, one torch thread each (faster than one run on two
# threads on the 2-core machines).
#   usage: [VARIANTS="idcl paper-lr"] scripts/idcl_digits.sh [SEEDS...]     (default: all, seeds 0-4)
set -euo pipefail
cd "$(dirname "$0")/.."
LAIC=${LAIC:-.venv/bin/laic}
OUT=book/results/idcl/records
SEEDS=${*:-0 1 2 3 4}
NOAUG="--no-idcl-augment"
declare -A FLAGS=(
  # IDCL Table 4 (Model-2..5, Model-1 = none of the three), with Appendix F's augmentation
  [idcl]=""
  [no-transformer]="--no-idcl-transformer"
  [no-curriculum]="--idcl-pace none"
  [fixed-pace]="--idcl-pace linear"
  [no-density-core]="--no-idcl-density-core"
  [model-1]="--idcl-pace none --no-idcl-density-core --no-idcl-transformer"
  # the same without the augmentation
  [idcl-noaug]="$NOAUG"
  [no-transformer-noaug]="--no-idcl-transformer $NOAUG"
  [no-curriculum-noaug]="--idcl-pace none $NOAUG"
  [fixed-pace-noaug]="--idcl-pace linear $NOAUG"
  [no-density-core-noaug]="--no-idcl-density-core $NOAUG"
  [paper-lr]="--idcl-lr 0.01 $NOAUG"
  [core-mean]="--idcl-core-reduce mean $NOAUG"
  # IDCL's own DEC and IDEC rows (its Table 2) through the same code: AE 500-500-2000-10, 500 pre-training
  # epochs, Adam lr 0.01 in both stages (IDCL Appendix), no curriculum, centroid assignment
  [dec]="$NOAUG --idcl-pace none --no-idcl-density-core --no-idcl-transformer --no-idcl-reconstruction --idcl-hidden 500,500,2000 --idcl-pretrain-epochs 500 --idcl-lr 0.01 --idcl-pretrain-lr 0.01"
  [idec]="$NOAUG --idcl-pace none --no-idcl-density-core --no-idcl-transformer --idcl-hidden 500,500,2000 --idcl-pretrain-epochs 500 --idcl-lr 0.01 --idcl-pretrain-lr 0.01"
  # the same two baselines at the learning rate of our IDCL default (0.001 in both stages)
  [dec-lr0.001]="$NOAUG --idcl-pace none --no-idcl-density-core --no-idcl-transformer --no-idcl-reconstruction --idcl-hidden 500,500,2000 --idcl-pretrain-epochs 500 --idcl-lr 0.001 --idcl-pretrain-lr 0.001"
  [idec-lr0.001]="$NOAUG --idcl-pace none --no-idcl-density-core --no-idcl-transformer --idcl-hidden 500,500,2000 --idcl-pretrain-epochs 500 --idcl-lr 0.001 --idcl-pretrain-lr 0.001"
)
ORDER=${VARIANTS:-idcl no-transformer no-curriculum fixed-pace no-density-core model-1 idcl-noaug no-transformer-noaug no-curriculum-noaug fixed-pace-noaug no-density-core-noaug paper-lr core-mean dec idec dec-lr0.001 idec-lr0.001}
mkdir -p "$OUT" .cache/idcl
jobs=()
for s in $SEEDS; do
  for v in $ORDER; do
    [[ -f "$OUT/digits__${v}__seed$s.json" ]] || jobs+=("$v $s")
  done
done
echo "${#jobs[@]} runs to make"
run_one() {
  local v=$1 s=$2
  if OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $LAIC run --dataset digits --method idcl --seed "$s" ${FLAGS[$v]} \
      --idcl-pretrain-cache .cache/idcl --out "$OUT/digits__${v}__seed$s.json" >/dev/null; then
    echo "$(date +%T) done $v seed $s"
  else
    echo "$(date +%T) FAILED $v seed $s (see the error line above)"
  fi
}
for job in "${jobs[@]}"; do
  while (( $(jobs -rp | wc -l) >= 2 )); do wait -n || true; done   # one failed run does not stop the others
  run_one $job &
done
wait
