#!/usr/bin/env bash
# Trains hardsell (with --tune, as scripts/compare-baselines.sh does) on each public corpus's
# train split and gates its test-split metrics
# against the baselines recorded in models/baselines/<corpus>.json (exit 6 on regression).
# Usage: scripts/corpus-gate.sh [--write-baselines] [CORPUS ...]
# Needs ../shared beside the repo and a release build (cargo build --release).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HARDSELL_SHARED:-$here/../shared}
bin=$here/target/release/hardsell
write=0
if [ "${1:-}" = "--write-baselines" ]; then write=1; shift; fi
corpora=("$@"); [ ${#corpora[@]} -gt 0 ] || corpora=(sms youtube spamassassin lingspam)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 "$shared/baselines/prepare_corpora.py" "$work/corpora" "${corpora[@]}" >&2
for c in "${corpora[@]}"; do
  "$bin" train -q --tune --data "$work/corpora/$c/train.csv" --out "$work/$c.model.json"
  if [ $write = 1 ]; then
    "$bin" eval --model "$work/$c.model.json" --data "$work/corpora/$c/test.csv" --format json \
      --write-baseline "$here/models/baselines/$c.json" > /dev/null
    echo "$c: baseline written"
  else
    "$bin" eval --model "$work/$c.model.json" --data "$work/corpora/$c/test.csv" --format json \
      --baseline "$here/models/baselines/$c.json" --max-drop "${HARDSELL_MAX_DROP:-0.01}" > "$work/$c.metrics.json"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], 'mcc %.4f roc_auc %.4f f1 %.4f fpr %.4f' % (d['mcc'], d['roc_auc'], d['f1'], d['false_positive_rate']))" "$work/$c.metrics.json" "$c"
  fi
done
