//! Outreach cues the text alone shows: generic openers, pitch language, website-only
//! justification, an opt-out, personalisation, links, phone numbers, length.
//!
//! Each cue has a stable name (`cue:<name>`) and a value scaled to about 0..3 (indicators,
//! or log1p of counts) so the combiner converges. Phrase lists are matched with
//! Aho–Corasick over the lower-cased text, in English, Spanish, German and French (and
//! LinkedIn's stock invitation note in twelve more languages), as whole words: "free" is not found in "carefree", nor "roi" in "Detroit". A phrase written with
//! a trailing `*` is a word's beginning ("outsourc*": outsourcing, outsourced).
//! This module owns the phrase lists; thread and timing context lives in [`super::context`].

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::{Builder, DFA};
use aho_corasick::{Anchored, MatchKind};
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
            "meinem netzwerk",
            "mis contactos",
            "mi red de contactos",
            "mon réseau professionnel",
            "mit ihnen vernetzen",
            "mich mit dir vernetzen",
            "netzwerk erweitern",
            "ajouter à mon réseau",
            "ajouter a mon réseau",
            "rejoindre votre réseau",
            "me connecter avec vous",
            "élargir mon réseau",
            "add me to your network",
            "add me to your linkedin network",
            "add me to your professional network",
            "grow our networks",
            "grow our network",
            "expand our networks",
            // LinkedIn's stock note ("… to my professional network on LinkedIn") in the
            // other languages LinkedIn writes it in.
            "mia rete professionale",
            "minha rede profissional",
            "mijn professionele netwerk",
            "mitt professionella nätverk",
            "mit professionelle netværk",
            "mitt profesjonelle nettverk",
            "mojej sieci zawodowej",
            "profesyonel ağıma",
            "ammatilliseen verkostooni",
            "rețeaua mea profesională",
            "své profesní sítě",
            "jaringan profesional saya",
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
            "appointment*",
            "roi",
            "free trial",
            "free audit",
            "free consultation",
            "discount*",
            "pricing",
            "packages",
            "partnership*",
            "white label",
            "outsourc*",
            "offshore",
            "dedicated developers",
            "scale your",
            "revenue*",
            "clients like",
            "case stud*",
            "demo",
            "proposal*",
            "investment opportunit*",
            "exciting opportunit*",
            "passive income",
            "crypto*",
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
            "offres",
            "we provide",
            "our company",
            "our product",
            "our products",
            "our rates",
            "interested in our",
            "lowest cost",
            "lowest price*",
            "best rates",
            "your requirement*",
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
            "unsubscribe*",
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
            "gemeinsame*",
            "m'a recommandé",
            "m'a conseillé",
            "commun",
            "communs",
            "comunes",
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
            "enjoyed your",
            "loved your",
            "liked your",
            "we're both",
            "we’re both",
            "we are both",
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
            // Where the stock note's other languages name a meeting or a piece of your work.
            "ci siamo conosciuti",
            "abbiamo lavorato insieme",
            "al convegno",
            "alla conferenza",
            "il tuo articolo",
            "il tuo intervento",
            "nos conhecemos",
            "trabalhamos juntos",
            "na conferência",
            "seu artigo",
            "sua palestra",
            "elkaar ontmoet",
            "samengewerkt",
            "op de conferentie",
            "je artikel",
            "jouw artikel",
            "vi träffades",
            "arbetade tillsammans",
            "på konferensen",
            "din artikel",
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
            "hope you're having a*",
            "hope you’re having a*",
            "hope you are having a*",
            "i'm calling",
            "i’m calling",
            "calling from",
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
            "would you like to",
            "can i show you",
            "show you how",
            "would you be open to",
            "are you open to",
            "kindly share",
            "call now",
            "call me",
            "text me",
            "click here",
            "claim*",
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
            "cash*",
            "prize*",
            "won ",
            "winner*",
            "free*",
            "gratis",
            "kostenlos",
            "gratuit",
        ],
    ),
];

struct Matchers {
    /// The phrases plus the URL markers, all lower-case.
    patterns: Vec<&'static str>,
    /// The patterns over lower-cased text; built when first needed, as most text never needs it.
    exact: OnceLock<DFA>,
    /// The same patterns matching ASCII letters of either case, for text as it is when
    /// lower-casing it would change ASCII letters only (all ASCII text, and most other text):
    /// every pattern is lower-case, so both automata report the same matches.
    ascii_folding: DFA,
    /// For each pattern id, its cue and where it must meet word edges.
    found: Vec<Found>,
}

/// What a pattern's match counts for, and when it counts.
#[derive(Debug, Clone, Copy)]
struct Found {
    /// The index into [`CUE_NAMES`].
    cue: usize,
    /// The pattern's length in bytes.
    len: usize,
    /// The pattern begins with a letter, so the text must not have one just before it.
    word_start: bool,
    /// The pattern ends a word (it ends with a letter and is not written with a trailing
    /// `*`), so the text must not have a letter just after it.
    word_end: bool,
}

impl Found {
    /// Whether the match ending at byte `end` of `text` stands as whole words.
    fn counts(&self, text: &[u8], end: usize) -> bool {
        !(self.word_start && word_char_before(text, end - self.len)
            || self.word_end && word_char_at(text, end))
    }
}

/// Whether the char that ends just before byte `at` of UTF-8 `text` is a letter. Digits do
/// not join words here: text-speak glues them on ("2claim", "FREE4U").
fn word_char_before(text: &[u8], at: usize) -> bool {
    let Some(&last) = at.checked_sub(1).and_then(|i| text.get(i)) else {
        return false;
    };
    if last.is_ascii() {
        return last.is_ascii_alphabetic();
    }
    // Back over continuation bytes (10xxxxxx) to the char's first byte; at most 3 of them.
    let from = (at.saturating_sub(4)..at)
        .rev()
        .find(|&i| text[i] & 0xC0 != 0x80)
        .unwrap_or(at - 1);
    std::str::from_utf8(&text[from..at])
        .ok()
        .and_then(|s| s.chars().next())
        .is_some_and(letter_or_mark)
}

/// A letter, or a combining mark, which belongs to the letter before it ("terminé" written
/// with U+0301 is one word).
fn letter_or_mark(c: char) -> bool {
    c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c)
}

/// Whether the char that begins at byte `at` of UTF-8 `text` is a letter (see
/// [`word_char_before`]).
fn word_char_at(text: &[u8], at: usize) -> bool {
    match text.get(at) {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphabetic(),
        Some(_) => {
            let to = (at + 4).min(text.len());
            let head = match std::str::from_utf8(&text[at..to]) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&text[at..at + e.valid_up_to()]).unwrap_or(""),
            };
            head.chars().next().is_some_and(letter_or_mark)
        }
    }
}

impl Matchers {
    fn exact(&self) -> &DFA {
        self.exact
            .get_or_init(|| phrase_automaton(&self.patterns, false))
    }
}

/// A DFA finding every occurrence of `patterns`, overlapping ones too (see [`count_phrases`]).
fn phrase_automaton(patterns: &[&str], ascii_case_insensitive: bool) -> DFA {
    Builder::new()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(ascii_case_insensitive)
        .build(patterns)
        .expect("phrase automaton builds")
}

/// Adds one to the cue of every pattern occurrence in `haystack`, overlapping ones included.
/// The DFA is walked by hand: a state holds every pattern that ends there (Standard match
/// semantics copy them along failure links), which is what `find_overlapping_iter` reports,
/// without its per-call and per-match bookkeeping.
///
/// A long haystack is read in [`PHRASE_LANES`] parts at once, one state per part, so that
/// each step's table read does not wait on the one before. A part's walk starts from the
/// start state the longest pattern's length before the part (the state after that many bytes
/// is the same whatever came before: the longest suffix read that begins a pattern) and
/// counts only the matches that end within the part.
fn count_phrases(dfa: &DFA, haystack: &[u8], found: &[Found], counts: &mut [f64]) {
    let start = dfa
        .start_state(Anchored::No)
        .expect("the phrase DFA searches unanchored");
    let mut count = |state, end| count_matches(dfa, state, haystack, end, found, counts);
    let longest = dfa.max_pattern_len();
    let part = haystack.len() / PHRASE_LANES;
    if part < 4 * longest + 64 {
        return count_phrases_in_one(dfa, haystack, found, counts);
    }
    let begins: [usize; PHRASE_LANES] = std::array::from_fn(|k| k * part);
    let mut states = [start; PHRASE_LANES];
    for (state, &begin) in states.iter_mut().zip(&begins).skip(1) {
        for &byte in &haystack[begin - longest..begin] {
            *state = dfa.next_state(Anchored::No, *state, byte);
        }
    }
    let parts: [&[u8]; PHRASE_LANES] = std::array::from_fn(|k| &haystack[begins[k]..][..part]);
    for i in 0..part {
        for ((state, part), begin) in states.iter_mut().zip(&parts).zip(begins) {
            *state = dfa.next_state(Anchored::No, *state, part[i]);
            if dfa.is_match(*state) {
                count(*state, begin + i + 1);
            }
        }
    }
    let last = &mut states[PHRASE_LANES - 1];
    let rest = begins[PHRASE_LANES - 1] + part;
    for (i, &byte) in haystack[rest..].iter().enumerate() {
        *last = dfa.next_state(Anchored::No, *last, byte);
        if dfa.is_match(*last) {
            count(*last, rest + i + 1);
        }
    }
}

/// [`count_phrases`] in one walk from the first byte to the last.
fn count_phrases_in_one(dfa: &DFA, haystack: &[u8], found: &[Found], counts: &mut [f64]) {
    let mut state = dfa
        .start_state(Anchored::No)
        .expect("the phrase DFA searches unanchored");
    for (i, &byte) in haystack.iter().enumerate() {
        state = dfa.next_state(Anchored::No, state, byte);
        if dfa.is_match(state) {
            count_matches(dfa, state, haystack, i + 1, found, counts);
        }
    }
}

/// Adds one to the cue of every pattern that ends in the match state `state`, at byte `end`
/// of `haystack`, and stands there as whole words.
fn count_matches(
    dfa: &DFA,
    state: StateID,
    haystack: &[u8],
    end: usize,
    found: &[Found],
    counts: &mut [f64],
) {
    for i in 0..dfa.match_len(state) {
        let f = found[dfa.match_pattern(state, i).as_usize()];
        if f.counts(haystack, end) {
            counts[f.cue] += 1.0;
        }
    }
}

/// Parts of a long text [`count_phrases`] walks side by side.
const PHRASE_LANES: usize = 4;

/// Counted like the phrases: `count_urls` of the original design, which counted each marker's
/// non-overlapping occurrences; none of them can overlap itself, so overlapping matches count
/// the same.
const URL_MARKERS: [&str; 3] = ["http://", "https://", "www."];

/// How phrases are matched; part of [`phrases_digest`], so a change of the rules, like a
/// change of the lists, makes older models ask to be retrained.
const MATCHING_RULES: &str = "whole words, trailing * a word's beginning; lower-cased";

/// Texts whose cue counts [`phrases_digest`] includes.
const DIGEST_PROBES: [&str; 3] = [
    "Hi Jordan! Freightline's carefree ROI: free trial, outsourcing, demo?? Visit our website \
     www.x.example or call +1 (312) 555-0199, me@x.example. WIN!!!",
    "Ich möchte mich mit dir vernetzen. ¡Ofrecemos servicios! Terminé. Dear friend, our mutual \
     friend Jane Doe enjoyed your talk. Unsubscribe: reply STOP.",
    "",
];

/// A digest (hex xxh3) of every cue's phrase list, the URL markers, the matching rules and
/// the cue counts of [`DIGEST_PROBES`].
pub fn phrases_digest() -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (name, phrases) in PHRASES {
        h.update(name.as_bytes());
        for p in phrases {
            h.update(b"\0");
            h.update(p.as_bytes());
        }
        h.update(b"\n");
    }
    for marker in URL_MARKERS {
        h.update(marker.as_bytes());
        h.update(b"\0");
    }
    h.update(MATCHING_RULES.as_bytes());
    // What the rules make of a text that exercises them, so that a change of the code that
    // counts (word edges, the website-only rule, the shape counts) changes the digest too.
    for probe in DIGEST_PROBES {
        h.update(format!("{:?}", cue_counts(probe)).as_bytes());
    }
    format!("{:016x}", h.digest())
}

/// The index of a cue name in [`CUE_NAMES`]; a `const` use fails to compile on a typo.
pub const fn cue_index(name: &str) -> usize {
    let mut i = 0;
    while i < CUE_NAMES.len() {
        if same_str(CUE_NAMES[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("unknown cue name");
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

fn matchers() -> &'static Matchers {
    static M: OnceLock<Matchers> = OnceLock::new();
    M.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut found = Vec::new();
        let written = PHRASES
            .iter()
            .flat_map(|(name, phrases)| phrases.iter().map(move |p| (cue_index(name), *p)));
        let markers = URL_MARKERS.iter().map(|m| (cue_index("urls"), *m));
        for (cue, phrase) in written.chain(markers) {
            let (pattern, prefix) = match phrase.strip_suffix('*') {
                Some(p) => (p, true),
                None => (phrase, false),
            };
            let word = |c: Option<char>| c.is_some_and(char::is_alphabetic);
            patterns.push(pattern);
            found.push(Found {
                cue,
                len: pattern.len(),
                word_start: word(pattern.chars().next()),
                word_end: !prefix && word(pattern.chars().next_back()),
            });
        }
        // Lower-case, as the text is matched lower-cased; no newline, as `message_cues` adds
        // up the counts of a subject and a body.
        assert!(patterns
            .iter()
            .all(|p| !p.bytes().any(|b| b.is_ascii_uppercase() || b == b'\n')));
        Matchers {
            ascii_folding: phrase_automaton(&patterns, true),
            exact: OnceLock::new(),
            patterns,
            found,
        }
    })
}

/// What one pass over the text counts besides phrases.
#[derive(Debug, Default)]
#[cfg_attr(test, derive(PartialEq))]
struct Shape {
    words: usize,
    emails: usize,
    exclamations: usize,
    letters: usize,
    upper: usize,
    phones: usize,
    /// Whether lower-casing the text changes ASCII letters only, so that the ASCII-folding
    /// automaton over the text finds what the exact one finds over its lower-cased copy.
    folds_as_ascii: bool,
}

/// Whitespace-separated words (and those with `@` and `.`), `!`, letters, upper-case letters and
/// phone numbers (runs of at least 9 digits, allowing up to two of ` -.()+` between them).
///
/// Byte by byte, a non-ASCII byte being neither space nor letter; the non-ASCII chars are
/// then looked at alone (letters, upper case, how they lower-case). A non-ASCII whitespace
/// char (a no-break space, say) splits words as the bytes do not: the bytes are then read
/// from a copy with ASCII spaces in its place.
fn shape(text: &str) -> Shape {
    let bytes = text.as_bytes();
    let (mut letters, mut upper, mut folds_as_ascii) = (0, 0, true);
    let mut spaced: Option<Vec<u8>> = None;
    let mut from = 0;
    while let Some(p) = bytes[from..].iter().position(|b| !b.is_ascii()) {
        let at = from + p;
        let ch = text[at..]
            .chars()
            .next()
            .expect("a non-ASCII byte starts a char here");
        from = at + ch.len_utf8();
        if ch.is_whitespace() {
            spaced.get_or_insert_with(|| bytes.to_vec())[at..from].fill(b' ');
        }
        letters += usize::from(ch.is_alphabetic());
        upper += usize::from(ch.is_uppercase());
        folds_as_ascii &= ch.to_lowercase().eq([ch]);
    }
    let mut shape = shape_ascii(spaced.as_deref().unwrap_or(bytes));
    shape.letters += letters;
    shape.upper += upper;
    shape.phones = count_phone_numbers(bytes);
    shape.folds_as_ascii = folds_as_ascii;
    shape
}

/// [`shape`] of bytes read as ASCII (a non-ASCII byte is neither space nor letter), but for
/// phone numbers.
fn shape_ascii(bytes: &[u8]) -> Shape {
    let ws = |b: u8| matches!(b, b' ' | b'\t'..=b'\r');
    let (mut words, mut exclamations, mut letters, mut upper) = (0, 0, 0, 0);
    // Blocks short enough for `u32` counters, in branch-free loops the compiler vectorises;
    // a word starts at a non-space after a space or at the start of the text.
    let mut after_space = true;
    for block in bytes.chunks(1 << 20) {
        let (mut starts, mut bangs, mut alpha, mut capitals) = (0u32, 0u32, 0u32, 0u32);
        for (&a, &b) in block.iter().zip(&block[1..]) {
            starts += u32::from(ws(a) & !ws(b));
        }
        for &b in block {
            bangs += u32::from(b == b'!');
            alpha += u32::from(b.is_ascii_alphabetic());
            capitals += u32::from(b.is_ascii_uppercase());
        }
        words += usize::from(after_space & !ws(block[0])) + starts as usize;
        after_space = ws(block[block.len() - 1]);
        exclamations += bangs as usize;
        letters += alpha as usize;
        upper += capitals as usize;
    }
    let mut emails = 0;
    let mut counted_to = 0;
    let mut from = 0;
    while let Some(p) = bytes[from..].iter().position(|&b| b == b'@') {
        let at = from + p;
        let start = bytes[..at]
            .iter()
            .rposition(|&b| ws(b))
            .map_or(0, |i| i + 1);
        let end = bytes[at..]
            .iter()
            .position(|&b| ws(b))
            .map_or(bytes.len(), |i| at + i);
        if start >= counted_to && bytes[start..end].contains(&b'.') {
            emails += 1;
        }
        counted_to = end;
        from = end.max(at + 1);
    }
    Shape {
        words,
        emails,
        exclamations,
        letters,
        upper,
        phones: 0,
        folds_as_ascii: true,
    }
}

/// Runs of at least 9 digits, allowing up to two of ` -.()+` between them. Works on bytes:
/// a non-ASCII char ends a run at its first byte, as it did char by char, and its other bytes
/// then change nothing.
fn count_phone_numbers(bytes: &[u8]) -> usize {
    let mut found = 0;
    let mut i = 0;
    // Outside a run, only a digit matters: skip to the next one.
    while let Some(p) = bytes[i..].iter().position(|b| b.is_ascii_digit()) {
        i += p;
        let (mut digits, mut gap) = (0, 0);
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                digits += 1;
                gap = 0;
            } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+') && gap < 2 {
                gap += 1;
            } else {
                break;
            }
            i += 1;
        }
        found += usize::from(digits >= 9);
    }
    found
}

/// [`shape`] char by char: the reference it is tested against.
#[cfg(test)]
fn shape_unicode(text: &str) -> Shape {
    let mut s = Shape {
        folds_as_ascii: true,
        ..Shape::default()
    };
    let (mut in_word, mut at, mut dot) = (false, false, false);
    for ch in text.chars() {
        if ch.is_whitespace() {
            if in_word {
                s.emails += usize::from(at && dot);
                in_word = false;
            }
        } else {
            if !in_word {
                s.words += 1;
                in_word = true;
                at = false;
                dot = false;
            }
            at |= ch == '@';
            dot |= ch == '.';
        }
        s.exclamations += usize::from(ch == '!');
        s.letters += usize::from(ch.is_alphabetic());
        s.upper += usize::from(ch.is_uppercase());
        if !ch.is_ascii() && s.folds_as_ascii {
            s.folds_as_ascii = ch.to_lowercase().eq([ch]);
        }
    }
    if in_word {
        s.emails += usize::from(at && dot);
    }
    s.phones = count_phone_numbers(text.as_bytes());
    s
}

/// Every cue's count for one text, in [`CUE_NAMES`] order.
pub type CueCounts = [f64; CUE_NAMES.len()];

/// Raw counts per cue for `text` (already lower-cased phrase matches, plus shape counts).
pub fn cue_counts(text: &str) -> CueCounts {
    Tally::of(text).counts()
}

/// The cue counts of a message's text (its subject and body, read as joined by a newline,
/// as [`crate::features::full_text`] joins them) and of its body alone, the body read once.
pub fn message_cues(subject: &str, body: &str) -> (CueCounts, CueCounts) {
    let body_tally = Tally::of(body);
    let body_counts = body_tally.counts();
    if subject.is_empty() {
        return (body_counts, body_counts);
    }
    // No pattern holds a newline, so no phrase runs from the subject into the body; nor
    // does a word, an e-mail address or a phone number.
    let mut full = Tally::of(subject);
    full.add(&body_tally);
    (full.counts(), body_counts)
}

/// What [`cue_counts`] counts in a text before it derives shares and flags: counts that add
/// up over texts joined by a newline.
struct Tally {
    phrases: CueCounts,
    shape: Shape,
}

impl Tally {
    fn of(text: &str) -> Tally {
        let mut phrases = [0.0; CUE_NAMES.len()];
        let shape = shape(text);
        let m = matchers();
        if shape.folds_as_ascii {
            count_phrases(&m.ascii_folding, text.as_bytes(), &m.found, &mut phrases);
        } else {
            let lower = text.to_lowercase();
            count_phrases(m.exact(), lower.as_bytes(), &m.found, &mut phrases);
        }
        Tally { phrases, shape }
    }

    /// Adds the counts of a text that follows this one after a newline.
    fn add(&mut self, next: &Tally) {
        for (a, b) in self.phrases.iter_mut().zip(&next.phrases) {
            *a += b;
        }
        let (s, n) = (&mut self.shape, &next.shape);
        s.words += n.words;
        s.emails += n.emails;
        s.exclamations += n.exclamations;
        s.letters += n.letters;
        s.upper += n.upper;
        s.phones += n.phones;
        s.folds_as_ascii &= n.folds_as_ascii;
    }

    /// Every cue's count.
    fn counts(&self) -> CueCounts {
        let (mut counts, shape) = (self.phrases, &self.shape);
        let words = shape.words;
        counts[const { cue_index("phone_number") }] = shape.phones as f64;
        counts[const { cue_index("email_address") }] = shape.emails as f64;
        counts[const { cue_index("words") }] = words as f64;
        counts[const { cue_index("exclamations") }] = shape.exclamations as f64;
        counts[const { cue_index("upper_case_share") }] = if shape.letters == 0 {
            0.0
        } else {
            shape.upper as f64 / shape.letters as f64
        };
        counts[const { cue_index("empty_text") }] = if words == 0 { 1.0 } else { 0.0 };
        // Website-only: a link or website phrase with little else to justify the contact.
        const WEBSITE: usize = cue_index("website_only");
        let website = counts[WEBSITE] > 0.0 || counts[const { cue_index("urls") }] > 0.0;
        let personal = counts[const { cue_index("mutual_contact") }]
            + counts[const { cue_index("shared_context") }]
            + counts[const { cue_index("question") }];
        counts[WEBSITE] = if website && personal == 0.0 && words < 60 {
            1.0
        } else {
            0.0
        };
        counts
    }
}

/// Cue values scaled for the combiner: log1p of counts, shares left as they are.
pub fn cue_values(text: &str) -> CueCounts {
    cue_values_of(cue_counts(text))
}

/// The model's values of a text's cue [`cue_counts`]: counts damped by `ln(1 + n)`, shares
/// and flags as they are.
pub fn cue_values_of(counts: CueCounts) -> CueCounts {
    const AS_THEY_ARE: [usize; 3] = [
        cue_index("upper_case_share"),
        cue_index("empty_text"),
        cue_index("website_only"),
    ];
    let mut values = counts;
    for (i, v) in values.iter_mut().enumerate() {
        if !AS_THEY_ARE.contains(&i) {
            *v = v.ln_1p();
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(text: &str, name: &str) -> f64 {
        cue_counts(text)[CUE_NAMES.iter().position(|n| *n == name).unwrap()]
    }

    #[test]
    fn shape_by_bytes_is_shape_by_chars() {
        for text in [
            "",
            "Hello there! Call +1 (555) 123-4567 or mail me@x.org",
            "Grüße aus München! Schöne Grüße, ÄRGER und ÉLAN: a@b.de",
            "日本語のテキスト！ and ASCII words, Ünïcödé@mail.example",
            "İstanbul ẞtraße ǅemal: upper case that lower-cases oddly",
            "no\u{a0}break\u{2003}spaces split words: x@y.z\u{a0}a@b",
            "  leading and trailing  \t\n ",
        ] {
            assert_eq!(shape(text), shape_unicode(text), "{text:?}");
        }
    }

    #[test]
    fn subject_and_body_count_as_their_joined_text() {
        for (subject, body) in [
            (
                "Quick question",
                "I'd like to add you to my professional network.",
            ),
            ("Visit our website", "www.example.com"),
            ("Call 555 123", "4567 now! me@x.org"),
            (
                "ΟΔΟΣ ΣΟΦΙΑΣ",
                "Grüße\u{a0}aus München: free prize, won £100",
            ),
            ("FREE", "entry"),
            ("", "no subject at all"),
            ("only a subject", ""),
        ] {
            let full = if subject.is_empty() {
                body.to_string()
            } else {
                format!("{subject}\n{body}")
            };
            let (of_full, of_body) = message_cues(subject, body);
            assert_eq!(of_full, cue_counts(&full), "{full:?}");
            assert_eq!(of_body, cue_counts(body), "{body:?}");
        }
    }

    #[test]
    fn long_text_read_in_parts_counts_every_phrase_once() {
        let m = matchers();
        // Phrases of every cue at every offset, so that some straddle the parts' edges.
        let mut text = String::new();
        for (i, (_, phrases)) in PHRASES.iter().cycle().take(400).enumerate() {
            text.push_str(&" ".repeat(i % 7));
            text.push_str(phrases[i % phrases.len()]);
            text.push_str(if i % 3 == 0 { " www.a.example " } else { " " });
        }
        let mut checked = 0;
        for cut in (0..text.len())
            .step_by(97)
            .filter(|&c| text.is_char_boundary(c))
        {
            let bytes = &text.as_bytes()[cut..];
            let (mut parts, mut one) = ([0.0; CUE_NAMES.len()], [0.0; CUE_NAMES.len()]);
            count_phrases(&m.ascii_folding, bytes, &m.found, &mut parts);
            count_phrases_in_one(&m.ascii_folding, bytes, &m.found, &mut one);
            assert_eq!(parts, one, "from byte {cut}");
            checked += usize::from(
                bytes.len() / PHRASE_LANES >= 4 * m.ascii_folding.max_pattern_len() + 64,
            );
        }
        assert!(
            checked > 20,
            "{checked} texts long enough to be read in parts"
        );
    }

    #[test]
    fn spots_linkedins_stock_note_in_the_languages_it_is_written_in() {
        for note in [
            "Vorrei aggiungerti alla mia rete professionale su LinkedIn.",
            "Gostaria de adicioná-lo à minha rede profissional no LinkedIn.",
            "Ik wil je graag toevoegen aan mijn professionele netwerk op LinkedIn.",
            "Hej Maya, jag skulle vilja lägga till dig i mitt professionella nätverk på LinkedIn.",
            "Jeg vil gerne føje dig til mit professionelle netværk på LinkedIn.",
            "Sizi LinkedIn'deki profesyonel ağıma eklemek istiyorum.",
            "Haluaisin lisätä sinut ammatilliseen verkostooni LinkedInissä.",
            "Please add me to your LinkedIn network: linkedin.com/in/rohit",
            "Let's grow our networks together!",
        ] {
            assert_eq!(cue(note, "generic_opener"), 1.0, "{note}");
        }
    }

    #[test]
    fn spots_the_generic_linkedin_opener() {
        assert_eq!(
            cue(
                "I'd like to add you to my professional network on LinkedIn.",
                "generic_opener"
            ),
            1.0
        );
        assert_eq!(
            cue(
                "Ich würde Sie gerne zu meinem beruflichen Netzwerk hinzufügen",
                "generic_opener"
            ),
            1.0
        );
        assert_eq!(
            cue(
                "Loved your talk on freight data at ProductCon.",
                "generic_opener"
            ),
            0.0
        );
    }

    #[test]
    fn website_only_needs_a_link_and_no_personal_reason() {
        assert_eq!(
            cue(
                "Please visit our website www.acme.example for more.",
                "website_only"
            ),
            1.0
        );
        assert_eq!(
            cue(
                "Your article was great, see www.acme.example?",
                "website_only"
            ),
            0.0
        );
    }

    #[test]
    fn counts_phone_numbers_and_urls() {
        assert_eq!(
            cue(
                "Call 0906 170 1461 now or +1 (312) 555-0199",
                "phone_number"
            ),
            2.0
        );
        assert_eq!(cue("see https://a.example and www.b.example", "urls"), 2.0);
    }

    #[test]
    fn phrases_match_in_any_case_beside_non_ascii_letters() {
        // Lower-case non-ASCII letters: the text is read as it is; upper-case ones: lower-cased.
        for text in [
            "Möchte mich MIT DIR VERNETZEN",
            "ICH MÖCHTE MICH MIT DIR VERNETZEN",
            "J'AIMERAIS ÉLARGIR MON RÉSEAU",
        ] {
            assert_eq!(cue(text, "generic_opener"), 1.0, "{text}");
        }
    }

    #[test]
    fn phrases_count_as_whole_words_only() {
        let plain = "Jordan at Freightline Labs in Detroit: our carefree community \
                     demonstrated a proclaimed appeal, booked about it, recommended it";
        for name in [
            "money",
            "pitch_language",
            "mutual_contact",
            "call_to_action",
        ] {
            assert_eq!(cue(plain, name), 0.0, "{name} in {plain:?}");
        }
        assert_eq!(cue("Free trial, real ROI!", "pitch_language"), 2.0);
        assert_eq!(cue("(free) FREE, free.", "money"), 3.0);
        // Beside non-ASCII letters and marks: a letter joins the word, a mark does not.
        assert_eq!(cue("édemo demoé demo¡ ¿demo?", "pitch_language"), 2.0);
        // A combining mark belongs to the letter before it: "terminé" is not "termin".
        assert_eq!(cue("termine\u{301} termin", "call_to_action"), 1.0);
        // Digits do not join words: text-speak glues them on.
        assert_eq!(cue("2claim ur prize4u", "money"), 1.0);
        assert_eq!(cue("¡Ofrecemos desarrollo!", "pitch_language"), 1.0);
    }

    #[test]
    fn a_phrase_with_a_star_is_the_beginning_of_words() {
        assert_eq!(
            cue("We do outsourcing and outsourced QA", "pitch_language"),
            2.0
        );
        assert_eq!(cue("Crypto and cryptocurrency", "pitch_language"), 2.0);
        // The star is not part of the phrase, and the end of a text ends a word.
        assert_eq!(cue("outsourc", "pitch_language"), 1.0);
        assert_eq!(cue("outsourc*", "pitch_language"), 1.0);
    }

    #[test]
    fn opt_out_and_empty_text() {
        assert_eq!(cue("Reply STOP to unsubscribe", "opt_out"), 2.0);
        assert_eq!(cue("   ", "empty_text"), 1.0);
    }

    #[test]
    fn the_readmes_networking_example_asks_to_connect_in_stock_words() {
        // README: someone who mails "I'm connecting with 500 CS leaders to grow my network",
        // then "Still growing my network: 412 so far!", is a collector.
        for text in [
            "I'm connecting with 500 CS leaders to grow my network",
            "Still growing my network: 412 so far!",
        ] {
            assert_eq!(cue(text, "generic_opener"), 1.0, "{text}");
        }
    }

    #[test]
    fn a_note_in_another_language_that_names_where_you_met_gives_a_basis() {
        let note = "Ciao Jordan, ci siamo conosciuti al convegno sulla logistica di Milano. \
                    Vorrei aggiungerti alla mia rete professionale.";
        assert!(cue(note, "generic_opener") == 0.0 || cue(note, "shared_context") > 0.0);
    }
}
