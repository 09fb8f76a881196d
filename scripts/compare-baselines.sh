#!/usr/bin/env bash
# Benchmark: hardsell beside scikit-learn (TF-IDF + logistic regression) and bogofilter on each
# public corpus's test split, from one invocation. Prints one Markdown table: MCC, ROC AUC,
# false-positive rate, fit seconds, predict messages per second, and hardsell's ratios (the
# fit seconds and predict rates are medians of runs in turn: see below).
# Needs: a release build, ../shared, `pip install scikit-learn`, `apt-get install bogofilter`.
# hardsell trains with --tune (text hyper-parameters chosen by out-of-fold MCC on the training
# split alone); a second row shows it with default flags. hardsell's fit seconds are the wall
# time of `hardsell train` (reading the CSV and writing the model included; the peers time their
# fit call alone); its predict rate is the wall time of `hardsell score` on the test split (model
# load, parsing and writing included), on the same cores as the peers' single-core figures: read
# the ratio with that in mind. The two speed figures that are compared as a ratio move by a
# third between runs on this shared machine, so hardsell's training (tuned and default flags),
# `hardsell score` and the sklearn script are run in turn COMPARE_SPEED_RUNS times (default 3)
# and the table gives the median of each (sklearn's fit seconds too); the quality figures are
# the same in every run. Notes under the table list every run's rates and fit seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HARDSELL_SHARED:-$here/../shared}
bin=$here/target/release/hardsell
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
corpora=("$@"); [ ${#corpora[@]} -gt 0 ] || corpora=(sms youtube spamassassin lingspam)
speed_runs=${COMPARE_SPEED_RUNS:-3}
[[ $speed_runs =~ ^[1-9][0-9]*$ ]] || { echo "compare-baselines.sh: COMPARE_SPEED_RUNS '$speed_runs' is not a positive number" >&2; exit 2; }
python3 "$shared/baselines/prepare_corpora.py" "$work/c" "${corpora[@]}" >&2
# timed OUT.json COMMAND...: runs COMMAND, writes {"train_seconds": wall time} to OUT.json.
timed() {
  local out=$1; shift
  python3 -c 'import json, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True)
print(json.dumps({"train_seconds": time.perf_counter() - t}))' "$@" > "$out"
}
for c in "${corpora[@]}"; do
  d=$work/c/$c
  # Throughput on the test split repeated to at least 50,000 rows, so process start-up and
  # model loading do not dominate; every repeat is scored in full.
  python3 -c 'import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
w = csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""))
w.writerow(rows[0]); body = rows[1:]
for k in range(-(-50000 // len(body))): w.writerows([[f"{r[0]}-{k}"] + r[1:] for r in body])' "$d/test.csv" "$work/$c.big.csv"
  if [ "$c" = spamassassin ]; then
    # The same split as raw RFC 822 files: hardsell reads the mail itself (issue 5).
    python3 "$here/scripts/raw-mail-split.py" "$d" "$work/raw" 2>/dev/null
    timed "$work/raw.train.json" "$bin" train -q --tune --data "$work/raw/train" --out "$work/raw.json"
    "$bin" eval -q --model "$work/raw.json" --data "$work/raw/test" --format json > "$work/raw.hs.json"
  fi
  # In turn: hardsell's tuned and default training (the same model files every time), its
  # score of the repeated split, sklearn's script.
  for r in $(seq "$speed_runs"); do
    timed "$work/$c.hs.train.$r.json" "$bin" train -q --tune --data "$d/train.csv" --out "$work/$c.json"
    timed "$work/$c.plain.train.$r.json" "$bin" train -q --data "$d/train.csv" --out "$work/$c.plain.json"
    python3 -c 'import json, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"score_seconds": time.perf_counter() - t}))' "$bin" score -q --model "$work/$c.json" "$work/$c.big.csv" > "$work/$c.hs.time.$r.json"
    python3 "$shared/baselines/sklearn_baseline.py" "$d/train.csv" "$d/test.csv" > "$work/$c.sk.$r.json"
  done
  "$bin" eval --model "$work/$c.json" --data "$d/test.csv" --format json > "$work/$c.hs.json"
  "$bin" eval --model "$work/$c.plain.json" --data "$d/test.csv" --format json > "$work/$c.plain.json.eval"
  python3 "$shared/baselines/bogofilter_baseline.py" "$d/train.csv" "$d/test.csv" > "$work/$c.bf.txt"
done
python3 - "$work" "$speed_runs" "${corpora[@]}" <<'PY'
import ast, json, statistics, sys
work, runs, corpora = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
notes = []
print("| corpus | system | MCC | ROC AUC | FPR | fit s | predict msg/s |")
print("|---|---|---|---|---|---|---|")
for c in corpora:
    hs = json.load(open(f"{work}/{c}.hs.json"))
    model = json.load(open(f"{work}/{c}.json"))
    import csv; csv.field_size_limit(1 << 30)
    big_rows = sum(1 for _ in csv.reader(open(f"{work}/{c}.big.csv", encoding="utf-8", newline=""))) - 1
    rates = [big_rows / json.load(open(f"{work}/{c}.hs.time.{r}.json"))["score_seconds"] for r in range(1, runs + 1)]
    sks = [json.load(open(f"{work}/{c}.sk.{r}.json")) for r in range(1, runs + 1)]
    sk = dict(sks[0])
    sk["fit_seconds"] = statistics.median(s["fit_seconds"] for s in sks)
    sk["predict_messages_per_second"] = statistics.median(s["predict_messages_per_second"] for s in sks)
    notes.append(f"- {c}, predict msg/s run by run (hardsell / sklearn): " + ", ".join(
        f"{h:,.0f} / {s['predict_messages_per_second']:,.0f} ({h / s['predict_messages_per_second']:.2f}×)" for h, s in zip(rates, sks)))
    bf = ast.literal_eval(open(f"{work}/{c}.bf.txt").read().strip().splitlines()[-1])
    fits = [json.load(open(f"{work}/{c}.hs.train.{r}.json"))["train_seconds"] for r in range(1, runs + 1)]
    plain_fits = [json.load(open(f"{work}/{c}.plain.train.{r}.json"))["train_seconds"] for r in range(1, runs + 1)]
    fit, plain_fit, rate = statistics.median(fits), statistics.median(plain_fits), statistics.median(rates)
    notes.append(f"- {c}, fit s run by run (hardsell tuned / default flags / sklearn): " + ", ".join(
        f"{a:.3f} / {b:.3f} / {s['fit_seconds']:.3f}" for a, b, s in zip(fits, plain_fits, sks)))
    plain = json.load(open(f"{work}/{c}.plain.json.eval"))
    rows = [("hardsell", hs["mcc"], hs["roc_auc"], hs["false_positive_rate"], fit, rate),
            ("hardsell, default flags", plain["mcc"], plain["roc_auc"], plain["false_positive_rate"], plain_fit, float("nan")),
            ("sklearn", sk["mcc"], sk["roc_auc"], sk["false_positive_rate"], sk["fit_seconds"], sk["predict_messages_per_second"]),
            ("bogofilter", bf["mcc"], bf["roc_auc"], bf["fpr"], bf["fit_s"], bf["predict_msgs_per_s"])]
    if c == "spamassassin":
        raw = json.load(open(f"{work}/raw.hs.json"))
        raw_fit = json.load(open(f"{work}/raw.train.json"))["train_seconds"]
        rows.insert(2, ("hardsell, raw mail", raw["mcc"], raw["roc_auc"], raw["false_positive_rate"], raw_fit, float("nan")))
    for name, mcc, auc, fpr, fs, r in rows:
        rate_text = "—" if r != r else f"{r:,.0f}"
        print(f"| {c} | {name} | {mcc:.4f} | {auc:.4f} | {fpr:.4f} | {fs:.3f} | {rate_text} |")
    best_mcc = max(sk["mcc"], bf["mcc"]); best_auc = max(sk["roc_auc"], bf["roc_auc"])
    print(f"| {c} | **ratio** | {hs['mcc']/best_mcc:.4f}× best | {hs['roc_auc']/best_auc:.4f}× best | | {fit/sk['fit_seconds']:.1f}× sklearn (default flags {plain_fit/sk['fit_seconds']:.1f}×) | {rate/sk['predict_messages_per_second']:.2f}× sklearn |")
print()
print(f"hardsell's fit seconds (tuned and default flags, not raw mail) and predict rate, and sklearn's fit seconds")
print(f"and predict rate, are medians of {runs} runs in turn; the other figures are from one run.")
print("\n".join(notes))
PY
