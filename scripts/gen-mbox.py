#!/usr/bin/env python3
"""Writes a synthetic mbox for the mail scale figures in the README (benchmark load only, never
training or quality data): N messages in reply chains of four (a pitch, two follow-ups,
sometimes a reply from the owner), seeded.

Usage: scripts/gen-mbox.py N OUT.mbox   (the README used N = 200000 and its first 50000)
"""
import random, sys
random.seed(7)
n = int(sys.argv[1]); out = sys.argv[2]
words = "the offer our team would love to connect about your pipeline growth revenue demo call next week quick question following up again bump inbox sales leads agency platform".split()
with open(out, "w", newline="") as f:
    for i in range(n):
        t = i // 4  # threads of four: pitch, two follow-ups, sometimes a reply
        k = i % 4
        sender = f"seller{t % 50000}@vendor{t % 997}.example"
        mid = f"<{i}.{t}@mail.example>"
        refs = "".join(f"<{t*4+j}.{t}@mail.example> " for j in range(k)).strip()
        owner = (k == 3 and t % 3 == 0)
        frm = "Me <me@example.org>" if owner else f"Seller {t} <{sender}>"
        to = f"<{sender}>" if owner else "me@example.org"
        body = " ".join(random.choice(words) for _ in range(380))
        body = "\n".join(body[j:j+76] for j in range(0, len(body), 76))
        hdr = [f"From {sender} Mon Mar  3 10:{k:02d}:00 2025",
               "Delivered-To: me@example.org",
               f"From: {frm}", f"To: {to}", f"Subject: {'re: ' if k else ''}offer {t}",
               f"Date: Mon, {1 + t % 28} Mar 2025 10:{k:02d}:00 +0000",
               f"Message-ID: {mid}", "Content-Type: text/plain; charset=utf-8",
               "List-Unsubscribe: <mailto:u@vendor.example>" if t % 10 == 0 else "X-Mailer: gen"]
        if k:
            hdr.append(f"In-Reply-To: <{i-1}.{t}@mail.example>")
            hdr.append(f"References: {refs}")
        f.write("\n".join(hdr) + "\n\n" + body + "\n\n")
