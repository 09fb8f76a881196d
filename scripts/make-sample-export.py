#!/usr/bin/env python3
"""Builds data/sample-export/: a small LinkedIn data export (2025-2026 layout) made from the
project's own labeled corpus, the files of data/outreach that SAMPLE_FILES names. Standard
library only, deterministic.

    python3 scripts/make-sample-export.py [--out DIR]

Contacts. About 40 conversations (12 hard_sell, 12 collector, 16 ok), all from the split that
scripts/train-default.sh holds out (sha1(conversation_id)[0] < 52). PINNED lists the ones
chosen for a hard case; the remaining places of each label are filled from the other held-out
conversations in sha1 order. Conversations from the training split are used only if the
held-out ones run out.

Files written (layouts as in shared/fixtures/linkedin-export-2026-03, see FORMATS.md 1.2-1.5):
  messages.csv        11 columns, every field quoted (header too), LF
  Invitations.csv     7 columns, minimal quoting, `M/D/YY, h:mm AM`
  Connections.csv     `Notes:` preamble, 7 columns, `DD Mon YYYY`, no final newline
  guide_messages.csv  header only
"""

import argparse
import base64
import csv
import hashlib
import io
import os
import unicodedata
import urllib.parse
import uuid
from collections import defaultdict
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "data", "outreach")
DEFAULT_OUT = os.path.join(ROOT, "data", "sample-export")

OWNER = "Jordan Avery"
OWNER_URL = "https://www.linkedin.com/in/jordan-avery-owner"

# The owner's real connections (data/outreach/SCHEMA.md): a mutual-contact claim naming one of
# them is genuine, so they must be in Connections.csv for the claim to join.
OWNER_CONNECTIONS = [
    "Priya Raman", "Marcus Delgado", "Hannah Kowalski", "Tomás Ibáñez", "Grace Okafor",
    "Wei Chen", "Lukas Brandt", "Sofia Marchetti", "Daniel Osei", "Emily Nakamura",
    "Rafael Souza", "Claire Dubois", "Ahmed Haddad", "Megan O'Brien", "Jonas Weber",
    "Lucía Fernández", "Kevin Tran", "Aisha Bello", "Pierre Lefèvre", "Olivia Grant",
    "Sanjay Mehta", "Laura Schmidt", "Diego Castillo", "Nina Petrova", "Ben Carter",
    "Camille Martin", "Yusuf Arslan", "Rachel Goldberg", "Mateo Rossi", "Ingrid Larsen",
]

QUOTA = {"hard_sell": 12, "collector": 12, "ok": 16}

# Held-out conversations chosen for a case the scorer must get right (label checked below).
PINNED = [
    # hard_sell
    ("p-c009", "hard_sell", "RPO pitch; owner replied 'not interested', seller kept going"),
    ("p-c225", "hard_sell", "event-for-meetings pitch; owner replied 'Not interested'"),
    ("t-c139", "hard_sell", "fake mutual friend (Jennifer Walsh, not a connection) + pitch"),
    ("t-c105", "hard_sell", "SaaS follow-up chain with an InMail-style subject"),
    ("b-c160", "hard_sell", "invitation with no note, then a security-scare pitch"),
    ("i-c008", "hard_sell", "Spanish; owner replied 'no me interesa'"),
    ("i-c036", "hard_sell", "Spanish; owner replied 'no, gracias'"),
    ("i-c143", "hard_sell", "German; owner asked not to be followed up"),
    ("i-c110", "hard_sell", "German MLM"),
    ("i-c157", "hard_sell", "French; owner replied 'Pas intéressé'"),
    # collector
    ("b-c116", "collector", "fake 'your friend' claim (Alyssa Monroe, not a connection)"),
    ("i-c099", "collector", "German fake mutual friend (Klaus Dietrich)"),
    ("t-c001", "collector", "LinkedIn's verbatim default note, accepted"),
    ("b-c078", "collector", "no note, never accepted"),
    ("b-c060", "collector", "fake familiarity ('it's been too long my friend')"),
    ("i-c010", "collector", "Spanish"),
    ("i-c146", "collector", "French, accepted, thank-you message"),
    ("i-c088", "collector", "German, no note, thank-you message"),
    # ok
    ("b-c001", "ok", "genuine retained recruiter with a specific role"),
    ("t-c103", "ok", "genuine recruiter InMail (subject, no invitation, not connected)"),
    ("b-c099", "ok", "vendor who was asked for a quote"),
    ("b-c125", "ok", "vendor proposal the owner asked for (SOC 2), names a real colleague"),
    ("t-c009", "ok", "ex-colleague, invitation without a note"),
    ("t-c198", "ok", "ex-colleague, invitation without a note"),
    ("b-c098", "ok", "recruiter naming a real connection (Sanjay Mehta)"),
    ("i-c112", "ok", "German, genuine mutual contact (Jonas Weber)"),
    ("i-c148", "ok", "French, existing connection since 2022 (Claire Dubois), no invitation"),
    ("i-c178", "ok", "French, genuine mutual contact (Pierre Lefèvre)"),
    ("i-c066", "ok", "Spanish, former team member"),
    ("t-c205", "ok", "speaking invite InMail (subject), not connected, real mutual contact"),
    ("p-c066", "ok", "copy-paste group update from an old connection (2022)"),
]

COMPANIES = [
    "Northbeam Logistics", "Cobalt Ridge Software", "Halden & Co.", "Lakeview Health Partners",
    "Pinecrest Capital", "Meridian Freight Systems", "Brightwater Analytics", "Ostara GmbH",
    "Solano Consultores", "Atelier Verdier", "Kestrel Insurance", "Granite Lane Realty",
    "Fieldstone Labs", "Bluewater Ports", "Quarry Street Legal", "Tandem Recruiting",
]
POSITIONS = [
    "Product Manager", "Senior Software Engineer", "Account Executive", "Operations Director",
    "Founder", "Head of Partnerships", "Consultant", "Data Analyst",
    "Talent Partner", "Program Manager", "Business Development Manager", "VP Engineering",
    "Customer Success Lead", "Marketing Manager", "Principal Designer", "Managing Director",
]

MESSAGES_HEADER = [
    "CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO",
    "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER", "ATTACHMENTS",
]
GUIDE_HEADER = MESSAGES_HEADER[:10]
INVITATIONS_HEADER = [
    "From", "To", "Sent At", "Message", "Direction", "inviterProfileUrl", "inviteeProfileUrl",
]
CONNECTIONS_HEADER = [
    "First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On",
]
CONNECTIONS_PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
)

SPIN = '<p class="spinmail-quill-editor__spin-break">'
SPONSORED = [
    (
        "2025-11-04 15:12:40 UTC",
        SPIN + "Hi %FIRSTNAME%,</p>" + SPIN + "<br></p>"
        + SPIN + "Ready for the next step in your career? The <strong>Lakemont Executive MBA"
        "</strong> is built for busy leaders: weekend classes in Chicago, live online sessions, "
        "and a global residency.</p>" + SPIN + "<br></p>"
        + SPIN + "Applications for the fall cohort close December 15. "
        '<a rel="noopener" href="https://example.com/lakemont-emba?utm_source=linkedin'
        '&amp;utm_medium=sponsored_message" target="_blank">Download the brochure</a> '
        "or book a call with admissions.</p>",
    ),
    (
        "2026-04-21 13:05:09 UTC",
        SPIN + "%FIRSTNAME%, is your team still tracking shipments in spreadsheets?</p>"
        + SPIN + "<br></p>"
        + SPIN + "Join our free webinar <strong>5 Ways to Cut Freight Spend in 2026</strong> "
        "on May 7 and get our benchmark report on carrier rates.</p>" + SPIN + "<br></p>"
        + SPIN + '<a rel="noopener" href="https://example.com/freight-webinar?utm_source=linkedin'
        '&amp;utm_campaign=conversation_ad" target="_blank">Save my seat</a></p>',
    ),
]


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).digest()


def held_out(conversation_id):
    """The split of scripts/train-default.sh."""
    return sha1(conversation_id)[0] < 52


# The files the sample is drawn from: those it was first built from, so that a file added to the
# corpus later (contrasts.csv, session 14) does not reshuffle it; tests name its rows.
SAMPLE_FILES = ("business.csv", "casual.csv", "international.csv", "people.csv", "tech.csv")


def load_corpus():
    rows = []
    for path in [os.path.join(CORPUS, name) for name in SAMPLE_FILES]:
        with open(path, encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    conversations = defaultdict(list)
    for row in rows:
        conversations[row["conversation_id"]].append(row)
    for thread in conversations.values():
        thread.sort(key=lambda r: (r["timestamp"], r["id"]))
    return conversations


def label_of(thread):
    labels = {r["label"] for r in thread if r["label"]}
    assert len(labels) == 1, (thread[0]["conversation_id"], labels)
    return labels.pop()


def usable(thread):
    """Contacts whose name splits cleanly into a first and last name."""
    name = thread[0]["contact_name"]
    return " " in name and not name.split(" ", 1)[0].endswith(".")


def select(conversations):
    chosen, names = [], set()

    def take(cid):
        thread = conversations[cid]
        chosen.append(cid)
        names.add(thread[0]["contact_name"])

    for cid, label, _why in PINNED:
        assert cid in conversations, cid
        assert held_out(cid), f"{cid} is not held out"
        assert label_of(conversations[cid]) == label, cid
        take(cid)
    count = defaultdict(int)
    for cid in chosen:
        count[label_of(conversations[cid])] += 1
    for pool in (True, False):  # held-out first; the training split only if needed
        order = sorted(
            (c for c in conversations if held_out(c) == pool and c not in chosen),
            key=lambda c: sha1(c),
        )
        for cid in order:
            thread = conversations[cid]
            label = label_of(thread)
            if count[label] >= QUOTA[label]:
                continue
            name = thread[0]["contact_name"]
            if name in names or name in OWNER_CONNECTIONS or not usable(thread):
                continue
            take(cid)
            count[label] += 1
    for label, n in QUOTA.items():
        assert count[label] == n, (label, count[label])
    return chosen


def conversation_key(cid):
    """LinkedIn's shape: '2-' + base64('<uuid>_100')."""
    u = uuid.uuid5(uuid.NAMESPACE_URL, "hardsell-sample-export:" + cid)
    return "2-" + base64.b64encode(f"{u}_100".encode("ascii")).decode("ascii")


def parse_ts(ts):
    return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S UTC")


def sent_at(ts):
    d = parse_ts(ts)
    hour = d.hour % 12 or 12
    ampm = "AM" if d.hour < 12 else "PM"
    return f"{d.month}/{d.day}/{d.year % 100:02d}, {hour}:{d.minute:02d} {ampm}"


def connected_on(date_ymd):
    return datetime.strptime(date_ymd, "%Y-%m-%d").strftime("%d %b %Y")


def slug_url(name):
    """A profile URL for an owner connection not in the corpus: ASCII slug + hash, or the
    percent-encoded form LinkedIn uses for non-ASCII slugs."""
    base = "-".join(name.lower().replace("'", "").split())
    suffix = hashlib.sha1(("slug:" + name).encode()).hexdigest()[:8]
    ascii_only = base.isascii()
    if not ascii_only:
        base = urllib.parse.quote(unicodedata.normalize("NFC", base), safe="-")
    return f"https://www.linkedin.com/in/{base}-{suffix}"


def split_name(name):
    first, _, last = name.partition(" ")
    return first, last


def write_csv(path, header, rows, quoting, trailing_newline=True, preamble=""):
    buf = io.StringIO()
    w = csv.writer(buf, quoting=quoting, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    text = preamble + buf.getvalue()
    if not trailing_newline:
        text = text.rstrip("\n")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def build(out):
    conversations = load_corpus()
    chosen = select(conversations)
    os.makedirs(out, exist_ok=True)

    # messages.csv: conversations newest first, rows newest first within each.
    threads = []
    invitations, connections = [], []
    for cid in chosen:
        thread = conversations[cid]
        contact, url = thread[0]["contact_name"], thread[0]["contact_profile_url"]
        key = conversation_key(cid)
        title = next((r["subject"] for r in thread if r["subject"]), "")
        rows = []
        for r in thread:
            if r["kind"] == "invitation":
                assert r["direction"] == "incoming"
                invitations.append((r["timestamp"], [
                    contact, OWNER, sent_at(r["timestamp"]), r["text"], "INCOMING",
                    url, OWNER_URL,
                ]))
                continue
            if r["direction"] == "incoming":
                sender = [contact, url, OWNER, OWNER_URL]
            else:
                sender = [OWNER, OWNER_URL, contact, url]
            rows.append([key, title, *sender, r["timestamp"], r["subject"], r["text"],
                         "INBOX", ""])
        if rows:
            rows.sort(key=lambda x: x[6], reverse=True)
            threads.append(rows)
        if thread[0]["connected_on"]:
            connections.append((contact, url, thread[0]["connected_on"]))
    for i, (ts, html) in enumerate(SPONSORED):
        key = conversation_key(f"sponsored-{i + 1}")
        threads.append([[key, "Sponsored Conversation", "LinkedIn Member", "", OWNER, OWNER_URL,
                         ts, "", html, "ARCHIVE", ""]])
    threads.sort(key=lambda rows: rows[0][6], reverse=True)
    write_csv(os.path.join(out, "messages.csv"), MESSAGES_HEADER,
              [r for rows in threads for r in rows], csv.QUOTE_ALL)

    invitations.sort(key=lambda x: x[0], reverse=True)
    write_csv(os.path.join(out, "Invitations.csv"), INVITATIONS_HEADER,
              [row for _, row in invitations], csv.QUOTE_MINIMAL)

    # Connections.csv: the contacts who were accepted, plus the owner's real connections
    # (connected 2019-2024, dates fixed by a hash of the name).
    have = {name for name, _, _ in connections}
    for name in OWNER_CONNECTIONS:
        if name in have:
            continue
        h = int.from_bytes(sha1("connected:" + name)[:4], "big")
        day = datetime.fromordinal(
            datetime(2019, 1, 1).toordinal() + h % (datetime(2024, 12, 31).toordinal()
                                                   - datetime(2019, 1, 1).toordinal() + 1))
        connections.append((name, slug_url(name), day.strftime("%Y-%m-%d")))
    connections.sort(key=lambda c: (c[2], c[0]), reverse=True)
    rows = []
    for i, (name, url, day) in enumerate(connections):
        first, last = split_name(name)
        rows.append([first, last, url, "", COMPANIES[i % len(COMPANIES)],
                     POSITIONS[(i * 7) % len(POSITIONS)], connected_on(day)])
    write_csv(os.path.join(out, "Connections.csv"), CONNECTIONS_HEADER, rows,
              csv.QUOTE_MINIMAL, trailing_newline=False, preamble=CONNECTIONS_PREAMBLE)

    write_csv(os.path.join(out, "guide_messages.csv"), GUIDE_HEADER, [], csv.QUOTE_MINIMAL)

    labels = defaultdict(int)
    for cid in chosen:
        labels[label_of(conversations[cid])] += 1
    n_msgs = sum(len(rows) for rows in threads)
    print(f"{len(chosen)} contacts {dict(sorted(labels.items()))}; messages.csv {n_msgs} rows "
          f"({len(SPONSORED)} sponsored), Invitations.csv {len(invitations)} rows, "
          f"Connections.csv {len(connections)} rows")
    for cid in chosen:
        t = conversations[cid]
        print(f"  {cid:8} {label_of(t):9} {t[0]['language']}  {t[0]['contact_name']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    build(ap.parse_args().out)


if __name__ == "__main__":
    main()
