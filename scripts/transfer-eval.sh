#!/usr/bin/env bash
# How the shipped default model (trained on data/outreach: ok / collector / hard_sell) transfers
# to the public spam corpora: each corpus's test split is scored with the built-in model, a
# message counts as flagged when the predicted label is not `ok`, and P(flag) = 1 - P(ok).
# Prints one Markdown table: MCC, ROC AUC, false-positive rate, recall of spam.
# Usage: scripts/transfer-eval.sh [CORPUS ...]; needs a release build and ../shared.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HARDSELL_SHARED:-$here/../shared}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
corpora=("$@"); [ ${#corpora[@]} -gt 0 ] || corpora=(sms youtube spamassassin lingspam)
python3 "$shared/baselines/prepare_corpora.py" "$work/c" "${corpora[@]}" >&2
echo "| corpus | MCC | ROC AUC | FPR | spam recall | rows |"
echo "|---|---|---|---|---|---|"
for c in "${corpora[@]}"; do
  "$here/target/release/hardsell" score -q --reasons 0 "$work/c/$c/test.csv" > "$work/$c.scored.csv"
  python3 - "$work/c/$c/test.csv" "$work/$c.scored.csv" "$c" <<'PY'
import csv, math, sys
csv.field_size_limit(1 << 30)
truth = [r["label"] == "spam" for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline=""))]
rows = list(csv.DictReader(open(sys.argv[2], encoding="utf-8", newline="")))
assert len(rows) == len(truth), "every row scored"
flag = [r["label"] != "ok" for r in rows]
score = [1.0 - float(r["p_ok"]) for r in rows]
tp = sum(t and f for t, f in zip(truth, flag)); fp = sum((not t) and f for t, f in zip(truth, flag))
tn = sum((not t) and (not f) for t, f in zip(truth, flag)); fn = sum(t and (not f) for t, f in zip(truth, flag))
den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) or 1.0
order = sorted(range(len(score)), key=lambda i: score[i]); ranks = [0.0] * len(score); i = 0
while i < len(order):
    j = i
    while j + 1 < len(order) and score[order[j + 1]] == score[order[i]]: j += 1
    for k in range(i, j + 1): ranks[order[k]] = (i + j) / 2 + 1
    i = j + 1
npos = sum(truth); nneg = len(truth) - npos
auc = (sum(r for r, t in zip(ranks, truth) if t) - npos * (npos + 1) / 2) / (npos * nneg)
print(f"| {sys.argv[3]} | {(tp * tn - fp * fn) / den:.4f} | {auc:.4f} | {fp / max(fp + tn, 1):.4f} | {tp / max(tp + fn, 1):.4f} | {len(truth)} |")
PY
done
