#!/usr/bin/env bash
# Runs every command the README shows, in order, so the README cannot drift: fails on the
# first command that fails. Prints their output (the README quotes it).
# Usage: scripts/readme-tour.sh   (needs a release build; the SMS example needs ../shared)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
hs=./target/release/hardsell
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo '$ hardsell score data/sample-export'
$hs score data/sample-export > "$tmp/report.csv"
head -n 4 "$tmp/report.csv"
echo "... ($(($(wc -l < "$tmp/report.csv") - 1)) senders)"
$hs score data/sample-export --format jsonl --policy strict --messages-out "$tmp/messages.jsonl" -q > "$tmp/strict.jsonl"
echo '$ hardsell train --data data/outreach/tech.csv --data data/outreach/business.csv --data data/outreach/people.csv --out en.json'
$hs train --data data/outreach/tech.csv --data data/outreach/business.csv --data data/outreach/people.csv --out "$tmp/en.json"
echo '$ hardsell eval --model en.json --data data/outreach/international.csv'
$hs eval --model "$tmp/en.json" --data data/outreach/international.csv
$hs score --model "$tmp/en.json" data/sample-export -q > /dev/null
if [ -f ../shared/corpora/spamassassin/spamassassin-publiccorpus-stdlib-0.2.3.tar.gz ]; then
  echo '$ hardsell train --data ../shared/corpora/spamassassin/spamassassin-publiccorpus-stdlib-0.2.3.tar.gz --label-map ... --out sa.json'
  $hs train -q --data ../shared/corpora/spamassassin/spamassassin-publiccorpus-stdlib-0.2.3.tar.gz \
    --label-map spam-1=spam,spam-2=spam,easy-ham-1=ham,easy-ham-2=ham,hard-ham-1=ham --out "$tmp/sa.json"
  $hs score --model "$tmp/sa.json" ../shared/fixtures/gmail-takeout-mbox/takeout-sample.mbox -q > /dev/null
fi
if [ -f ../shared/corpora/sms/SMSSpamCollection ]; then
  head -n 4000 ../shared/corpora/sms/SMSSpamCollection > "$tmp/sms-train.tsv"
  tail -n +4001 ../shared/corpora/sms/SMSSpamCollection > "$tmp/sms-test.tsv"
  echo '$ hardsell train --data sms-train.tsv --no-header --no-quoting --label-column 1 --text-column 2 --out sms.json'
  $hs train --data "$tmp/sms-train.tsv" --no-header --no-quoting --label-column 1 --text-column 2 --out "$tmp/sms.json"
  echo '$ hardsell eval --model sms.json --data sms-test.tsv --no-header --no-quoting --label-column 1 --text-column 2'
  $hs eval --model "$tmp/sms.json" --data "$tmp/sms-test.tsv" --no-header --no-quoting --label-column 1 --text-column 2
fi
