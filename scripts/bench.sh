#!/usr/bin/env bash
# Scale benchmark: how fast `hardsell score` reads and scores a LinkedIn export of N messages,
# beside the bare CSV parse limit, on 1 and 2 threads; and how long `hardsell train` takes
# beside scikit-learn on the same rows. Prints ONE Markdown table (plus notes) from one run.
#
# Usage: scripts/bench.sh [SIZES...]          (default: 10000 100000 1000000)
# Env:   BENCH_TRAIN_MAX=100000   train and sklearn only for N up to this
#        BENCH_TIMEOUT=0          seconds allowed per timed command (0: no limit)
#        BENCH_KEEP=DIR           keep the generated data in DIR instead of a temp dir
#        BENCH_THREAD_RUNS=3      how many times the --threads 1 / --threads 2 pair is run
#        BENCH_TRAIN_RUNS=3       how many times the 2-label train and sklearn are run, in turn
#        BENCH_REPEAT_OF=100000   the size whose export is also scored with every message repeated
#                                 10 times (same senders, 10x the messages; 0: skip)
#        HARDSELL_SHARED=../shared
# Needs: cargo, python3, /usr/bin/time (GNU time; installed with apt-get when missing and root),
#        scikit-learn for the sklearn columns (pip install scikit-learn; skipped, and said so,
#        when missing).
#
# Every command is timed once, wall clock (date +%s%N around it), with peak RSS from
# `/usr/bin/time -f %M`. Each size is generated once (scripts/gen-export, seed 1: benchmark load
# only, never training or quality data) and every command of that size reads the same files.
#   score      `hardsell score DIR/export -q > /dev/null`, default model, default threads (all
#              cores); msg/s = rows of messages.csv / wall s; MB/s = bytes of messages.csv /
#              wall s (10^6 bytes). The run also reads Invitations.csv and Connections.csv
#              (their rows are in the "rows read" column) and includes start-up, model load and
#              writing the report.
#   parse      examples/parse_limit on the same messages.csv: one thread, one reused ByteRecord,
#              file already in memory; score/parse = score MB/s / parse MB/s.
#   threads    the same score command with --threads 1 (one thread, reading included) and
#              --threads 2, run in turn BENCH_THREAD_RUNS times (t1, t2, t1, t2, ...); the
#              table gives the median of each and speed-up = median t1 / median t2, the notes
#              every pair. The one timing per command of the other columns is not enough
#              here: on this shared machine the same run's wall time varies by ±20 % and more
#              from minute to minute, and a ratio of two single runs by twice that.
#   train      `hardsell train -q --data DIR/labeled.csv` with default flags (3 labels, so one
#              text model per label, 3-fold out-of-fold fits plus the final fit).
#   train2     the same with `--label-map hard_sell=spam,collector=ham,ok=ham`: the two-label
#              task sklearn is given below (one text model, 3-fold out-of-fold fits plus the
#              final fit, and the combiner); "2-label train / sklearn fit" is its wall time over
#              sklearn's own fit seconds, each the median of BENCH_TRAIN_RUNS runs taken in turn
#              with sklearn's (every pair listed under the table).
#   repeated   memory per message: the BENCH_REPEAT_OF export with messages.csv written 10 times
#              over (copy k has its dates moved 4k years back, so that 29 February stays a
#              date; the same conversations, senders, invitations and connections), scored like
#              `score`; its peak RSS beside the original's shows what memory grows with messages
#              when senders do not. The first pass holds up to 8 MB of rows per sort in memory
#              (about 350,000 messages) before it writes runs to temporary files.
#   sklearn    shared/baselines/sklearn_baseline.py on the labeled rows of labeled.csv (the
#              rows hardsell fits on; the owner's unlabeled rows left out), given as both TRAIN
#              and TEST, hard_sell renamed `spam` and the other labels `ham` (the script's
#              `--positive X` cannot be used: it counts X as a third file name and exits): wall s
#              of the whole script (Python start-up, CSV load, fit, predict on every row) and,
#              in brackets, its own fit seconds (medians of the runs in turn; peak RSS: the
#              largest). One binary fit, where hardsell's 3-label `train` fits 3 labels.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${HARDSELL_SHARED:-$here/../shared}
bin=$here/target/release/hardsell
parse=$here/target/release/examples/parse_limit
train_max=${BENCH_TRAIN_MAX:-100000}
limit=${BENCH_TIMEOUT:-0}
thread_runs=${BENCH_THREAD_RUNS:-3}
train_runs=${BENCH_TRAIN_RUNS:-3}
[[ $thread_runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: BENCH_THREAD_RUNS '$thread_runs' is not a positive number" >&2; exit 2; }
[[ $train_runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: BENCH_TRAIN_RUNS '$train_runs' is not a positive number" >&2; exit 2; }
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
for n in "${sizes[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: size '$n' is not a positive number" >&2; exit 2; }
done
say() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
  say "/usr/bin/time missing: installing GNU time"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >&2 || { apt-get update -qq >&2 && apt-get install -y -qq time >&2; }
  else sudo apt-get install -y -qq time >&2; fi
  [ -x /usr/bin/time ] || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
fi
have_sklearn=1
python3 -c 'import sklearn' 2>/dev/null || { have_sklearn=0; say "scikit-learn missing: sklearn columns skipped (pip install scikit-learn)"; }

say "building (cargo build --release --bin hardsell --example parse_limit)"
(cd "$here" && cargo build --release --quiet --bin hardsell --example parse_limit) || exit 1

if [ -n "${BENCH_KEEP:-}" ]; then work=$BENCH_KEEP; mkdir -p "$work"
else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
results=$work/results.tsv; : > "$results"
notes=$work/notes.txt; : > "$notes"

# timed NAME CMD...: runs CMD once (stdout to /dev/null unless NAME.out is wanted), records
# wall seconds, peak RSS (KiB), exit code and stderr in $d/NAME.{wall,rss,rc,err}.
timed() {
  local name=$1; shift
  local pre=(); [ "$limit" != 0 ] && pre=(timeout "$limit")
  local t0 t1 rc
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$d/$name.rss" "${pre[@]}" "$@" > "$d/$name.out" 2> "$d/$name.err"
  rc=$?
  t1=$(date +%s%N)
  echo "$rc" > "$d/$name.rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' > "$d/$name.wall"
  # GNU time writes "Command exited with non-zero status N" before the number.
  tail -n 1 "$d/$name.rss" > "$d/$name.rss1"
  if [ "$rc" = 124 ] && [ "$limit" != 0 ]; then
    echo "N=$n $name: stopped by BENCH_TIMEOUT after ${limit} s" >> "$notes"
  elif [ "$rc" != 0 ]; then
    echo "N=$n $name: exit $rc: $(grep -v '^Command exited' "$d/$name.err" | head -n 3 | tr '\n' ' ')" >> "$notes"
  fi
  say "  $name: $(cat "$d/$name.wall") s, exit $rc"
}

for n in "${sizes[@]}"; do
  d=$work/$n; mkdir -p "$d"
  say "N=$n: generating"
  t0=$(date +%s%N)
  "$here/scripts/gen-export" --messages "$n" --out "$d" --seed 1 2> "$d/gen.json" || { cat "$d/gen.json" >&2; exit 1; }
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }' > "$d/gen.wall"
  msgs=$d/export/messages.csv

  timed parse "$parse" "$msgs"
  cp "$d/parse.out" "$d/parse.txt"
  timed score "$bin" score "$d/export" -q
  for k in $(seq "$thread_runs"); do
    timed "t1_$k" "$bin" --threads 1 score "$d/export" -q
    timed "t2_$k" "$bin" --threads 2 score "$d/export" -q
  done
  rm -f "$d"/score.out "$d"/t1_*.out "$d"/t2_*.out
  if [ "$n" = "${BENCH_REPEAT_OF:-100000}" ]; then
    mkdir -p "$d/repeated/export"
    cp "$d/export/Invitations.csv" "$d/export/Connections.csv" "$d/repeated/export/"
    python3 - "$msgs" "$d/repeated/export/messages.csv" 10 <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
date = [h.upper() for h in header].index("DATE")
with open(sys.argv[2], "w", encoding="utf-8", newline="") as g:
    w = csv.writer(g, lineterminator="\n")
    w.writerow(header)
    for k in range(int(sys.argv[3])):
        for row in body:
            row = list(row)
            row[date] = f"{int(row[date][:4]) - 4 * k:04d}{row[date][4:]}"
            w.writerow(row)
PY
    timed repeated "$bin" score "$d/repeated/export" -q
    rm -rf "$d/repeated" "$d/repeated.out"
  fi

  trained=0
  if [ "$n" -le "$train_max" ]; then
    trained=1
    timed train "$bin" train -q --data "$d/labeled.csv" --out "$d/model.json"
    # The task sklearn_baseline.py is given: hard_sell against the rest, one two-label model;
    # hardsell and sklearn in turn, BENCH_TRAIN_RUNS times.
    if [ $have_sklearn = 1 ]; then
      python3 - "$d/labeled.csv" "$d/sk.csv" <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
with open(sys.argv[1], encoding="utf-8", newline="") as f, open(sys.argv[2], "w", encoding="utf-8", newline="") as g:
    r = csv.DictReader(f)
    w = csv.writer(g, lineterminator="\n")
    w.writerow(["label", "subject", "text"])
    for row in r:
        if row["label"]:
            w.writerow(["spam" if row["label"] == "hard_sell" else "ham", row["subject"], row["text"]])
PY
    fi
    for k in $(seq "$train_runs"); do
      timed "train2_$k" "$bin" train -q --data "$d/labeled.csv" --out "$d/model2.json" \
        --label-map hard_sell=spam,collector=ham,ok=ham
      [ $have_sklearn = 1 ] && timed "sklearn_$k" python3 "$shared/baselines/sklearn_baseline.py" "$d/sk.csv" "$d/sk.csv"
    done
  fi
  printf '%s\t%s\t%s\t%s\n' "$n" "$trained" "$have_sklearn" "$d" >> "$results"
  rm -rf "$d/export" "$d/labeled.csv" "$d/sk.csv"
done

python3 - "$results" "$notes" "$thread_runs" "$train_runs" <<'PY'
import json, os, statistics, sys

def read(d, name, ext):
    p = os.path.join(d, f"{name}.{ext}")
    return open(p).read().strip() if os.path.exists(p) else ""

def status(d, name):
    rc = read(d, name, "rc")
    return "" if rc in ("0", "") else " (timeout)" if rc == "124" else f" (exit {rc})"

def mib(d, name):
    v = read(d, name, "rss1")
    return f"{int(v) / 1024:,.0f}" if v.isdigit() else "?"

print("| N messages | messages.csv MB | rows read (msg + inv) | score s | msg/s | MB/s | peak RSS MiB "
      "| parse_limit MB/s | score/parse | --threads 1 s | --threads 2 s | speed-up "
      "| train s | train RSS MiB | 2-label train s | sklearn s (fit s) | sklearn RSS MiB "
      "| 2-label train / sklearn fit |")
print("|" + "---:|" * 18)
gen_notes, pairs, train_pairs = [], [], []
for line in open(sys.argv[1]):
    n, trained, have_sk, d = line.rstrip("\n").split("\t")
    n = int(n)
    g = json.loads(open(os.path.join(d, "gen.json")).read().strip().splitlines()[-1])
    size = g["bytes"]["messages.csv"]
    rows = g["messages"] + g["invitations"]
    gen_notes.append(f"N={n:,}: {g['invitations']:,} invitations, {g['connections']:,} connections, "
                     f"{g['labeled_rows']:,} labeled.csv rows; generated in {read(d, 'gen', 'wall')} s")
    parse = dict(l.split(" ", 1) for l in read(d, "parse", "txt").splitlines() if " " in l)
    pmbs = float(parse["MB/s"]) if "MB/s" in parse else None
    s = float(read(d, "score", "wall"))
    s_ok = read(d, "score", "rc") in ("0", "3")
    smbs = size / 1e6 / s
    runs = range(1, int(sys.argv[3]) + 1)
    t1s = [float(read(d, f"t1_{k}", "wall")) for k in runs]
    t2s = [float(read(d, f"t2_{k}", "wall")) for k in runs]
    t1, t2 = statistics.median(t1s), statistics.median(t2s)
    both = all(read(d, f"t{t}_{k}", "rc") in ("0", "3") for k in runs for t in (1, 2))
    pairs.append(f"N={n:,}: --threads 1 / --threads 2 in turn: "
                 + ", ".join(f"{a:.2f}/{b:.2f} s ({a / b:.2f}×)" for a, b in zip(t1s, t2s)))
    cells = [f"{n:,}", f"{size / 1e6:,.1f}", f"{rows:,}",
             f"{s:,.2f}{status(d, 'score')}",
             f"{n / s:,.0f}" if s_ok else "—", f"{smbs:,.1f}" if s_ok else "—",
             mib(d, "score") if s_ok else f"≥ {mib(d, 'score')} (when stopped)",
             f"{pmbs:,.0f}" if pmbs else f"?{status(d, 'parse')}",
             f"{smbs / pmbs:.3f}" if (pmbs and s_ok) else "—",
             f"{t1:,.2f}{status(d, 't1_1')}", f"{t2:,.2f}{status(d, 't2_1')}", f"{t1 / t2:.2f}×" if both else "—"]
    if trained == "1":
        truns = range(1, int(sys.argv[4]) + 1)
        twos = [float(read(d, f"train2_{k}", "wall")) for k in truns]
        two = statistics.median(twos)
        cells += [f"{float(read(d, 'train', 'wall')):,.1f}{status(d, 'train')}", mib(d, "train"),
                  f"{two:,.1f}{status(d, 'train2_1')}"]
        if have_sk == "1":
            def sk_fit(k):
                sk = read(d, f"sklearn_{k}", "out")
                return json.loads(sk.splitlines()[-1]).get("fit_seconds") if sk else None
            fits = [sk_fit(k) for k in truns]
            walls = [float(read(d, f"sklearn_{k}", "wall")) for k in truns]
            fit = statistics.median(fits) if all(f is not None for f in fits) else None
            wall = statistics.median(walls)
            rss = max((mib(d, f"sklearn_{k}") for k in truns), key=lambda v: float(v.replace(",", "")) if v != "?" else 0)
            cells += [f"{wall:,.1f} ({fit:,.1f}){status(d, 'sklearn_1')}" if fit is not None
                      else f"{wall:,.1f}{status(d, 'sklearn_1')}",
                      rss, f"{two / fit:.2f}×" if fit else "—"]
            if fit is not None:
                train_pairs.append(f"N={n:,}: 2-label train / sklearn fit in turn: "
                                   + ", ".join(f"{a:.2f}/{b:.2f} s ({a / b:.2f}×)" for a, b in zip(twos, fits)))
        else:
            cells += ["sklearn missing: pip install scikit-learn", "—", "—"]
    else:
        cells += ["not run (N > BENCH_TRAIN_MAX)", "—", "—", "—", "—", "—"]
    print("| " + " | ".join(cells) + " |")
print()
cpu = ""
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception:
    pass
print(f"Machine: {os.cpu_count()} cores ({cpu}). One run, each command timed once (the thread "
      f"pair {sys.argv[3]} times and the 2-label train beside sklearn {sys.argv[4]} times, in turn: "
      f"medians); wall clock.")
for note in pairs + train_pairs:
    print(f"- {note}")
for line in open(sys.argv[1]):
    n, _, _, d = line.rstrip("\n").split("\t")
    if read(d, "repeated", "wall"):
        print(f"- Memory per message: the {int(n):,}-message export scored in {mib(d, 'score')} MiB peak; "
              f"the same senders with every message 10 times ({10 * int(n):,} messages) in "
              f"{mib(d, 'repeated')} MiB, {float(read(d, 'repeated', 'wall')):,.2f} s{status(d, 'repeated')}.")
for note in gen_notes:
    print(f"- {note}")
for note in open(sys.argv[2]).read().splitlines():
    print(f"- {note}")
PY
