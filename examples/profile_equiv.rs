//! Equivalence check and micro-profile for the text and cue features: compares the current
//! `hardsell::features::{text, cues}` against the original (allocation-heavy) implementation,
//! bit for bit, on CSV corpora given as arguments plus synthetic Unicode edge cases, then times both.
//! Run: `cargo run --release --example profile_equiv -- FILE.csv ...`
#![allow(missing_docs, dead_code)]

use hardsell::features::{cues, text};
use std::time::Instant;

fn grams_new(spec: &text::TextSpec, s: &str) -> Vec<(u32, bool, String)> {
    let mut v = Vec::new();
    text::for_each_gram(spec, s, |b, k, g| {
        v.push((b, k == text::GramKind::Word, g.to_string()))
    });
    v
}

fn grams_old(spec: &old_text::TextSpec, s: &str) -> Vec<(u32, bool, String)> {
    let mut v = Vec::new();
    old_text::for_each_gram(spec, s, |b, k, g| {
        v.push((b, k == old_text::GramKind::Word, g.to_string()))
    });
    v
}

fn bits(v: &[(u32, f32)]) -> Vec<(u32, u32)> {
    v.iter().map(|&(b, x)| (b, x.to_bits())).collect()
}

fn check(specs: &[(text::TextSpec, old_text::TextSpec)], s: &str) -> bool {
    let mut ok = true;
    for (n, o) in specs {
        if grams_new(n, s) != grams_old(o, s) {
            eprintln!("for_each_gram differs on {s:?} with {n:?}");
            ok = false;
        }
        if bits(&text::hashed_counts(n, s)) != bits(&old_text::hashed_counts(o, s)) {
            eprintln!("hashed_counts differs on {s:?} with {n:?}");
            ok = false;
        }
    }
    let (a, b) = (cues::cue_values(s), old_cues::cue_values(s));
    if a.iter()
        .map(|x| x.to_bits())
        .ne(b.iter().map(|x| x.to_bits()))
    {
        eprintln!("cue_values differ on {s:?}: {a:?} vs {b:?}");
        ok = false;
    }
    ok
}

fn synthetic() -> Vec<String> {
    let pieces = [
        "FREE",
        "entry!",
        "Call",
        "09061701461",
        "https://x.example/a,",
        "(www.A.b)",
        "\"HTTPS://Q\"",
        "me@x.org",
        "a@b.c",
        "£100",
        "€5",
        "$$",
        "100%",
        "ΣΊΣΥΦΟΣ",
        "İstanbul",
        "straße",
        "ǅemal",
        "ﬁne",
        "日本語テキスト",
        "١٢٣٤٥٦",
        "12345abc",
        "1234a",
        "123456789012345",
        "Ⅻ",
        "x\u{0301}y",
        "\u{a0}",
        "\u{2003}",
        "\u{85}",
        "\u{b}",
        "\u{c}",
        "\r\n",
        "\t",
        "  ",
        "Añadirte A MI RED",
        "OPT-OUT",
        "Reply STOP",
        "I’D LIKE TO CONNECT",
        "Ünsubscribe",
        "WWW.",
        "http://",
        "!!!",
        "+1 (312) 555-0199",
        "0906 170 1461",
        "won ",
        "ROI?",
        "😀",
        "a",
        "bb",
        "ccc",
        "_num5_",
        "K\u{212a}",
        "x@@y.z",
        "@",
        "a.b@",
        "@.",
        "555-0199-1234-5678",
        "1 2 3 4 5 6 7 8 9",
        "12..34",
        "((()))",
        "9-8-7-6-5-4-3-2-1-0",
        "1234567890",
        "+44 (0) 20 7946 0958",
        "www.x.y/z",
        "ΑΣ.",
        "ὈΔΥΣΣΕΎΣ",
        "Ⓐⓑ",
        "ß",
        "ẞ",
        "\u{130}\u{130}\u{130}\u{130}\u{130}",
    ];
    let mut out: Vec<String> = pieces.iter().map(|s| s.to_string()).collect();
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..4000 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x % 40) as usize;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str(pieces[(x % pieces.len() as u64) as usize]);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str([" ", "", "\n", ",", " ", "\u{a0}", "-"][(x % 7) as usize]);
        }
        out.push(s);
    }
    out
}

fn main() {
    let specs: Vec<(text::TextSpec, old_text::TextSpec)> = [
        (18, 2, (2, 5), 3000),
        (12, 3, (1, 4), 7),
        (20, 1, (3, 3), 40),
        (16, 0, (2, 6), 0),
        (14, 2, (3, 2), 100),
        (10, 4, (1, 8), 13),
    ]
    .iter()
    .map(|&(h, w, c, l)| {
        (
            text::TextSpec {
                hash_bits: h,
                word_ngrams: w,
                char_ngrams: c,
                char_limit: l,
            },
            old_text::TextSpec {
                hash_bits: h,
                word_ngrams: w,
                char_ngrams: c,
                char_limit: l,
            },
        )
    })
    .collect();
    let mut texts = synthetic();
    let synth = texts.len();
    for path in std::env::args().skip(1) {
        let mut r = csv::Reader::from_path(&path).expect("csv");
        let h = r.headers().expect("header").clone();
        let (si, ti) = (
            h.iter().position(|c| c == "subject"),
            h.iter().position(|c| c == "text"),
        );
        for rec in r.records() {
            let rec = rec.expect("row");
            let subject = si.and_then(|i| rec.get(i)).unwrap_or("");
            let body = ti.and_then(|i| rec.get(i)).unwrap_or("");
            texts.push(if subject.is_empty() {
                body.to_string()
            } else {
                format!("{subject}\n{body}")
            });
        }
    }
    let time_only = std::env::var_os("HS_TIME_ONLY").is_some();
    let mut bad = 0;
    for (i, t) in texts.iter().enumerate() {
        if time_only {
            break;
        }
        let s = if i < synth { &specs[..] } else { &specs[..2] };
        if !check(s, t) {
            bad += 1;
        }
    }
    println!(
        "{} texts checked ({} synthetic), {} differ",
        texts.len(),
        synth,
        bad
    );
    let corpus = &texts[synth..];
    let bytes: usize = corpus.iter().map(|t| t.len()).sum();
    let (n, o) = (&specs[0].0, &specs[0].1);
    if time_only {
        // HS_PHASE=grams|counts|cues runs one phase 5 times (for `perf stat -e cycles:u`).
        let phase = std::env::var("HS_PHASE").unwrap_or_default();
        let t0 = Instant::now();
        let mut sum = 0u64;
        for _ in 0..5 {
            for t in corpus {
                match phase.as_str() {
                    "grams" => text::for_each_gram(n, t, |b, _, _| sum += u64::from(b)),
                    "counts" => sum += text::hashed_counts(n, t).len() as u64,
                    "cues" => sum += cues::cue_values(t)[1].to_bits(),
                    _ => panic!("HS_PHASE=grams|counts|cues"),
                }
            }
        }
        let mbs = 5.0 * bytes as f64 / 1e6 / t0.elapsed().as_secs_f64();
        println!("{phase}: {mbs:.1} MB/s ({sum})");
        return;
    }
    for round in 0..2 {
        let t0 = Instant::now();
        let a: usize = corpus
            .iter()
            .map(|t| old_text::hashed_counts(o, t).len())
            .sum();
        let t1 = Instant::now();
        let b: usize = corpus.iter().map(|t| text::hashed_counts(n, t).len()).sum();
        let t2 = Instant::now();
        let c: f64 = corpus.iter().map(|t| old_cues::cue_values(t)[0]).sum();
        let t3 = Instant::now();
        let d: f64 = corpus.iter().map(|t| cues::cue_values(t)[0]).sum();
        let t4 = Instant::now();
        let mbs = |d: std::time::Duration| bytes as f64 / 1e6 / d.as_secs_f64();
        if round == 1 {
            println!(
                "hashed_counts old {:.1} MB/s new {:.1} MB/s ({a} {b})",
                mbs(t1 - t0),
                mbs(t2 - t1)
            );
            println!(
                "cue_values    old {:.1} MB/s new {:.1} MB/s ({c} {d})",
                mbs(t3 - t2),
                mbs(t4 - t3)
            );
        }
    }
    if bad > 0 {
        std::process::exit(1);
    }
}

mod old_text {
    //! Text features: words, word pairs and character n-grams, hashed into a fixed width.
    //!
    //! Hashing keeps memory bounded whatever the vocabulary: a model holds at most
    //! `2^hash_bits` weights per class, and a message's vector holds only its own n-grams.
    //! Values are sublinear term frequencies (1 + ln count); [`crate::model`] applies the
    //! learned inverse document frequencies and the L2 normalisation. This module owns
    //! tokenisation and hashing; it knows nothing about labels or weights.

    use serde::{Deserialize, Serialize};
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// How text becomes hashed n-gram counts; saved in the model so scoring rebuilds the same features.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct TextSpec {
        /// Width of the hashed space, as a power of two (default 18: 262,144 buckets).
        pub hash_bits: u32,
        /// Longest word n-gram (default 2: words and word pairs).
        pub word_ngrams: usize,
        /// Shortest and longest character n-gram inside word boundaries (default 2..=5).
        pub char_ngrams: (usize, usize),
        /// Characters of each message that feed character n-grams (default 3,000), bounding the
        /// cost of long mail while keeping the subject and opening.
        pub char_limit: usize,
    }

    impl Default for TextSpec {
        fn default() -> Self {
            TextSpec {
                hash_bits: 18,
                word_ngrams: 2,
                char_ngrams: (2, 5),
                char_limit: 3_000,
            }
        }
    }

    /// One n-gram occurrence before hashing, kept for explanations.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum GramKind {
        /// A word or run of words.
        Word,
        /// Characters inside one word.
        Char,
    }

    const WORD_SEED: u64 = 0x5eed_0001;
    const CHAR_SEED: u64 = 0x5eed_0002;

    /// Lower-cased tokens of `text`: runs of letters and digits, plus `$ £ € ! %` as tokens of their own.
    /// URLs, e-mail addresses and long digit runs collapse to placeholder tokens so that their
    /// presence, not their exact value, is learned.
    pub fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for raw in text.split_whitespace() {
            if looks_like_url(raw) {
                out.push("_url_".to_string());
                continue;
            }
            if raw.contains('@') && raw.contains('.') && raw.len() > 5 {
                out.push("_email_".to_string());
                continue;
            }
            push_word_tokens(raw, &mut out);
        }
        out
    }

    fn looks_like_url(raw: &str) -> bool {
        let lower = raw.trim_start_matches(['(', '<', '[', '"']);
        lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || lower.starts_with("HTTP")
    }

    fn push_word_tokens(raw: &str, out: &mut Vec<String>) {
        let mut word = String::new();
        for ch in raw.chars() {
            if ch.is_alphanumeric() {
                word.extend(ch.to_lowercase());
            } else {
                flush_word(&mut word, out);
                if matches!(ch, '$' | '£' | '€' | '!' | '%') {
                    out.push(ch.to_string());
                }
            }
        }
        flush_word(&mut word, out);
    }

    fn flush_word(word: &mut String, out: &mut Vec<String>) {
        if word.is_empty() {
            return;
        }
        let digits = word.chars().filter(|c| c.is_ascii_digit()).count();
        if digits >= 5 && digits * 2 >= word.chars().count() {
            out.push(format!("_num{}_", digits.min(12)));
        } else {
            out.push(std::mem::take(word));
        }
        word.clear();
    }

    /// Calls `visit(bucket, kind, gram)` for every word n-gram and character n-gram of `text`.
    pub fn for_each_gram(spec: &TextSpec, text: &str, mut visit: impl FnMut(u32, GramKind, &str)) {
        let mask = (1u64 << spec.hash_bits) - 1;
        let toks = tokens(text);
        let mut joined = String::new();
        for start in 0..toks.len() {
            joined.clear();
            for (n, tok) in toks[start..].iter().take(spec.word_ngrams).enumerate() {
                if n > 0 {
                    joined.push(' ');
                }
                joined.push_str(tok);
                let bucket = (xxh3_64_with_seed(joined.as_bytes(), WORD_SEED) & mask) as u32;
                visit(bucket, GramKind::Word, &joined);
            }
        }
        let (lo, hi) = spec.char_ngrams;
        if hi == 0 {
            return;
        }
        let mut budget = spec.char_limit;
        let mut padded: Vec<char> = Vec::new();
        let mut gram = String::new();
        for tok in &toks {
            if budget == 0 {
                break;
            }
            padded.clear();
            padded.push(' ');
            padded.extend(tok.chars().take(budget));
            padded.push(' ');
            budget = budget.saturating_sub(tok.len() + 1);
            for n in lo..=hi {
                if n > padded.len() {
                    break;
                }
                for window in padded.windows(n) {
                    gram.clear();
                    gram.extend(window);
                    let bucket = (xxh3_64_with_seed(gram.as_bytes(), CHAR_SEED) & mask) as u32;
                    visit(bucket, GramKind::Char, &gram);
                }
            }
        }
    }

    /// Sparse hashed counts of `text`: sorted buckets with sublinear term frequency (1 + ln count).
    pub fn hashed_counts(spec: &TextSpec, text: &str) -> Vec<(u32, f32)> {
        let mut buckets: Vec<u32> = Vec::with_capacity(text.len() * 2);
        for_each_gram(spec, text, |bucket, _, _| buckets.push(bucket));
        buckets.sort_unstable();
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(buckets.len() / 2 + 1);
        for bucket in buckets {
            match out.last_mut() {
                Some((last, count)) if *last == bucket => *count += 1.0,
                _ => out.push((bucket, 1.0)),
            }
        }
        for (_, value) in &mut out {
            *value = 1.0 + value.ln();
        }
        out
    }
}

mod old_cues {
    //! Outreach cues the text alone shows: generic openers, pitch language, website-only
    //! justification, an opt-out, personalisation, links, phone numbers, length.
    //!
    //! Each cue has a stable name (`cue:<name>`) and a value scaled to about 0..3 (indicators,
    //! or log1p of counts) so the combiner converges. Phrase lists are matched with
    //! Aho–Corasick over the lower-cased text, in English, Spanish, German and French.
    //! This module owns the phrase lists; thread and timing context lives in [`super::context`].

    use aho_corasick::{AhoCorasick, MatchKind};
    use std::sync::OnceLock;

    /// The cue names, in vector order.
    pub const CUE_NAMES: [&str; 20] = [
        "generic_opener",
        "pitch_language",
        "website_only",
        "opt_out",
        "mutual_contact",
        "shared_context",
        "friend_claim",
        "question",
        "phone_spiel",
        "call_to_action",
        "follow_up_language",
        "flattery",
        "money",
        "urls",
        "phone_number",
        "email_address",
        "words",
        "exclamations",
        "upper_case_share",
        "empty_text",
    ];

    /// Phrase lists, one per phrase cue (the first eleven names + flattery + money).
    const PHRASES: [(&str, &[&str]); 13] = [
        (
            "generic_opener",
            &[
                "add you to my professional network",
                "join your linkedin network",
                "join your professional network",
                "i would like to connect",
                "i'd like to connect",
                "i’d like to connect",
                "let's connect",
                "let’s connect",
                "lets connect",
                "expand my network",
                "expanding my network",
                "grow my network",
                "growing my network",
                "connect with you on linkedin",
                "like to connect with you",
                "happy to connect",
                "be part of your network",
                "añadirte a mi red",
                "agregarte a mi red",
                "conectar contigo",
                "ampliar mi red",
                "formar parte de tu red",
                "meinem beruflichen netzwerk",
                "mein netzwerk",
                "mit ihnen vernetzen",
                "mich mit dir vernetzen",
                "netzwerk erweitern",
                "ajouter à mon réseau",
                "ajouter a mon réseau",
                "rejoindre votre réseau",
                "me connecter avec vous",
                "élargir mon réseau",
            ],
        ),
        (
            "pitch_language",
            &[
                "our services",
                "our solution",
                "our platform",
                "our team can",
                "our agency",
                "we help",
                "we specialize",
                "we specialise",
                "we offer",
                "i help",
                "helped other",
                "helping companies",
                "increase your",
                "boost your",
                "grow your",
                "generate leads",
                "lead generation",
                "qualified leads",
                "appointments",
                "roi",
                "free trial",
                "free audit",
                "free consultation",
                "discount",
                "pricing",
                "packages",
                "partnership",
                "white label",
                "outsourc",
                "offshore",
                "dedicated developers",
                "scale your",
                "revenue",
                "clients like",
                "case study",
                "demo",
                "proposal",
                "investment opportunity",
                "passive income",
                "crypto",
                "limited time",
                "special offer",
                "nuestros servicios",
                "ofrecemos",
                "ayudamos a",
                "nuestra empresa",
                "unsere dienstleistungen",
                "wir bieten",
                "wir helfen",
                "unser team",
                "nos services",
                "nous proposons",
                "nous aidons",
                "notre solution",
                "offre",
            ],
        ),
        (
            "website_only",
            &[
                "visit our website",
                "visit my website",
                "check out our website",
                "check our website",
                "see our website",
                "learn more at",
                "more info at",
                "find out more at",
                "take a look at our site",
                "visita nuestra web",
                "visita nuestro sitio",
                "besuchen sie unsere website",
                "visitez notre site",
            ],
        ),
        (
            "opt_out",
            &[
                "unsubscribe",
                "opt out",
                "opt-out",
                "reply stop",
                "text stop",
                "stop to end",
                "not interested? just",
                "if you'd rather not",
                "if you’d rather not",
                "let me know if this isn't relevant",
                "won't message again",
                "won’t message again",
                "no more messages",
                "darse de baja",
                "abmelden",
                "se désinscrire",
                "désabonner",
            ],
        ),
        (
            "mutual_contact",
            &[
                "mutual",
                "introduced me",
                "introduce us",
                "suggested i reach out",
                "suggested i contact",
                "recommended i",
                "recommended you",
                "referred me",
                "pointed me to you",
                "told me to",
                "gave me your name",
                "común",
                "me recomendó",
                "me sugirió",
                "empfohlen",
                "gemeinsame",
                "m'a recommandé",
                "m'a conseillé",
                "commun",
            ],
        ),
        (
            "shared_context",
            &[
                "we met",
                "met you at",
                "your talk",
                "your article",
                "your post",
                "your panel",
                "your presentation",
                "your keynote",
                "your piece",
                "your newsletter",
                "you wrote",
                "you shared",
                "same group",
                "our group",
                "alumni",
                "classmate",
                "worked together",
                "former colleague",
                "at the conference",
                "at the meetup",
                "your session",
                "tu charla",
                "tu artículo",
                "tu publicación",
                "nos conocimos",
                "ihr vortrag",
                "ihren artikel",
                "ihr beitrag",
                "wir haben uns",
                "votre article",
                "votre intervention",
                "votre conférence",
                "nous nous sommes",
            ],
        ),
        (
            "friend_claim",
            &[
                "we're friends",
                "we are friends",
                "friend of yours",
                "your friend",
                "mutual friend",
                "our friend",
                "a friend of",
                "amigo en común",
                "amigo tuyo",
                "gemeinsamer freund",
                "ami commun",
                "un ami",
            ],
        ),
        ("question", &["?"]),
        (
            "phone_spiel",
            &[
                "how are you today",
                "how are you doing today",
                "hope you are doing well",
                "hope you're doing well",
                "hope you’re doing well",
                "hope this finds you",
                "hope this message finds you",
                "hope all is well",
                "trust you are well",
                "espero que estés bien",
                "espero que se encuentre bien",
                "ich hoffe, es geht ihnen gut",
                "j'espère que vous allez bien",
                "j’espère que vous allez bien",
            ],
        ),
        (
            "call_to_action",
            &[
                "quick call",
                "15 minutes",
                "15-minute",
                "15 min",
                "10 minutes",
                "20 minutes",
                "book a",
                "calendly",
                "schedule a",
                "hop on a call",
                "jump on a call",
                "grab a time",
                "free this week",
                "available this week",
                "let me know a time",
                "send you more info",
                "worth a chat",
                "open to a",
                "reply yes",
                "call now",
                "call me",
                "text me",
                "click here",
                "claim",
                "llamada",
                "reunión",
                "kurzes gespräch",
                "termin",
                "appel",
                "rendez-vous",
            ],
        ),
        (
            "follow_up_language",
            &[
                "following up",
                "follow up",
                "follow-up",
                "circling back",
                "bumping this",
                "just checking in",
                "did you get a chance",
                "did you see my",
                "any thoughts on",
                "last message",
                "one more time",
                "haven't heard back",
                "haven’t heard back",
                "as per my last",
                "seguimiento",
                "nachfassen",
                "relance",
            ],
        ),
        (
            "flattery",
            &[
                "impressive profile",
                "great profile",
                "impressed by your",
                "your impressive",
                "amazing profile",
                "love your profile",
                "outstanding",
                "thought leader",
                "like-minded",
                "like minded",
                "top professionals",
            ],
        ),
        (
            "money",
            &[
                "$",
                "£",
                "€",
                "usd",
                "cash",
                "prize",
                "won ",
                "winner",
                "free",
                "gratis",
                "kostenlos",
                "gratuit",
            ],
        ),
    ];

    struct Matchers {
        automaton: AhoCorasick,
        /// For each pattern id, the index into [`CUE_NAMES`].
        cue_of_pattern: Vec<usize>,
    }

    fn matchers() -> &'static Matchers {
        static M: OnceLock<Matchers> = OnceLock::new();
        M.get_or_init(|| {
            let mut patterns = Vec::new();
            let mut cue_of_pattern = Vec::new();
            for (name, phrases) in PHRASES {
                let cue = CUE_NAMES
                    .iter()
                    .position(|n| *n == name)
                    .expect("phrase cue is named");
                for phrase in phrases {
                    patterns.push(*phrase);
                    cue_of_pattern.push(cue);
                }
            }
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("phrase automaton builds");
            Matchers {
                automaton,
                cue_of_pattern,
            }
        })
    }

    /// Raw counts per cue for `text` (already lower-cased phrase matches, plus shape counts).
    pub fn cue_counts(text: &str) -> [f64; CUE_NAMES.len()] {
        let mut counts = [0.0; CUE_NAMES.len()];
        let lower = text.to_lowercase();
        let m = matchers();
        for hit in m.automaton.find_overlapping_iter(&lower) {
            counts[m.cue_of_pattern[hit.pattern().as_usize()]] += 1.0;
        }
        let words = text.split_whitespace().count();
        let idx = |name: &str| CUE_NAMES.iter().position(|n| *n == name).expect("cue name");
        counts[idx("urls")] = count_urls(&lower) as f64;
        counts[idx("phone_number")] = count_phone_numbers(text) as f64;
        counts[idx("email_address")] = text
            .split_whitespace()
            .filter(|w| w.contains('@') && w.contains('.'))
            .count() as f64;
        counts[idx("words")] = words as f64;
        counts[idx("exclamations")] = text.matches('!').count() as f64;
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        let upper = text.chars().filter(|c| c.is_uppercase()).count();
        counts[idx("upper_case_share")] = if letters == 0 {
            0.0
        } else {
            upper as f64 / letters as f64
        };
        counts[idx("empty_text")] = if words == 0 { 1.0 } else { 0.0 };
        // Website-only: a link or website phrase with little else to justify the contact.
        let website = counts[idx("website_only")] > 0.0 || counts[idx("urls")] > 0.0;
        let personal =
            counts[idx("mutual_contact")] + counts[idx("shared_context")] + counts[idx("question")];
        counts[idx("website_only")] = if website && personal == 0.0 && words < 60 {
            1.0
        } else {
            0.0
        };
        counts
    }

    /// Cue values scaled for the combiner: log1p of counts, shares left as they are.
    pub fn cue_values(text: &str) -> [f64; CUE_NAMES.len()] {
        let mut values = cue_counts(text);
        for (name, v) in CUE_NAMES.iter().zip(values.iter_mut()) {
            if !matches!(*name, "upper_case_share" | "empty_text" | "website_only") {
                *v = v.ln_1p();
            }
        }
        values
    }

    fn count_urls(lower: &str) -> usize {
        lower.matches("http://").count()
            + lower.matches("https://").count()
            + lower.matches("www.").count()
    }

    fn count_phone_numbers(text: &str) -> usize {
        // A run of at least 9 digits, allowing spaces, dots, dashes and brackets between them.
        let mut found = 0;
        let mut digits = 0;
        let mut gap = 0;
        for ch in text.chars() {
            if ch.is_ascii_digit() {
                digits += 1;
                gap = 0;
            } else if matches!(ch, ' ' | '-' | '.' | '(' | ')' | '+') && digits > 0 && gap < 2 {
                gap += 1;
            } else {
                if digits >= 9 {
                    found += 1;
                }
                digits = 0;
                gap = 0;
            }
        }
        found + usize::from(digits >= 9)
    }
}
