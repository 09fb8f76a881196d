#!/usr/bin/env python3
"""Lays out the raw SpamAssassin messages in the same train/test split as prepare_corpora.py.

Usage: raw-mail-split.py PREPARED_DIR OUT_DIR
PREPARED_DIR is prepare_corpora.py's OUT/spamassassin (train.csv, test.csv: ids like
`easy-ham-1-00001`). Writes OUT_DIR/{train,test}/{spam,ham}/<group>-<file> with the raw RFC 822
bytes from ../shared/corpora/spamassassin, so `hardsell train --data OUT_DIR/train` reads raw mail
on exactly the rows the CSV-based peers use (duplicates dropped by prepare_corpora stay out).
Standard library only.
"""
import csv, sys, tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAR = HERE.parent.parent / "shared" / "corpora" / "spamassassin" / "spamassassin-publiccorpus-stdlib-0.2.3.tar.gz"


def main():
    prepared, out = Path(sys.argv[1]), Path(sys.argv[2])
    csv.field_size_limit(1 << 30)
    part = {}
    for name in ("train", "test"):
        with open(prepared / f"{name}.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                part[row["id"]] = (name, row["label"])
    written = 0
    with tarfile.open(TAR) as tar:
        for m in tar.getmembers():
            if not m.isfile() or not m.name.startswith("data/"):
                continue
            group = m.name.split("/")[1]
            rid = f"{group}-{Path(m.name).stem.split('.')[0]}"
            if rid not in part:
                continue
            name, label = part[rid]
            target = out / name / label / f"{group}-{Path(m.name).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(m).read())
            written += 1
    print(f"raw mail: {written} of {len(part)} prepared rows laid out", file=sys.stderr)


if __name__ == "__main__":
    main()
