//! "Our mutual friend Jane Doe suggested I reach out": a claimed mutual contact, checked
//! against the owner's connections. A heuristic: a sentence with a claim keyword (English,
//! Spanish, German, French) and a capitalised name of two or three words in it.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::Connection;

static SENTENCE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.!?;]+(?:\s+|$)|\n").unwrap());

static CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:mutual|friends?|introduced|introduction|referred|referral|recommended|suggested|mentioned you|told me|gave me your name|amig[oa]s?|com[uú]n|recomend[oó]|me habl[oó] de ti|me ha hablado (?:muy bien )?de ti|gemeinsame[nrs]?|empfohlen|von (?:dir|ihnen) erz[äa]hlt|(?:dich|sie) erw[äa]hnt|amie?s?|communs?|recommand[ée]e?|parl[ée] de vous)\b",
    )
    .unwrap()
});

/// Words one of which every [`CLAIM`] match contains (ASCII case-insensitive): a cheap first
/// look, so the Unicode regex runs only on the few messages that might claim someone.
static CLAIM_HINT: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "mutual",
            "friend",
            "introduc",
            "referr",
            "recommend",
            "suggest",
            "mentioned you",
            "me habl",
            "hablado",
            "erzählt",
            "erzÄhlt",
            "erzahlt",
            "erwähnt",
            "erwÄhnt",
            "erwahnt",
            "parlé de vous",
            "parlÉ de vous",
            "parle de vous",
            "told me",
            "gave me your name",
            "ami",
            "comun",
            "común",
            "comÚn",
            "commun",
            "recomend",
            "gemeinsam",
            "empfohlen",
            "recommand",
        ])
        .expect("fixed patterns")
});

/// Whether `text` might hold a claim keyword. Unicode case folding maps `ſ` to `s` and the
/// Kelvin sign to `k`, which an ASCII search cannot see: text holding them goes to the regex.
fn may_claim(text: &str) -> bool {
    text.contains(['ſ', '\u{212a}']) || CLAIM_HINT.is_match(text)
}

/// Two to four capitalised words (accents, apostrophes and hyphens allowed), each with a
/// lower-case letter so that acronyms are not names.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    let word = r"\p{Lu}[\p{L}\p{M}'’-]*\p{Ll}[\p{L}\p{M}]*";
    Regex::new(&format!(r"\b{word}(?:[ \t]+{word}){{1,3}}\b")).unwrap()
});

/// Capitalised words that open a sentence or a greeting rather than a name.
const NOT_NAMES: [&str; 70] = [
    "hi",
    "hello",
    "hey",
    "dear",
    "señor",
    "señora",
    "sr",
    "sra",
    "madame",
    "monsieur",
    "mme",
    "herr",
    "frau",
    "sir",
    "madam",
    "good",
    "morning",
    "afternoon",
    "evening",
    "greetings",
    "moin",
    "servus",
    "guten",
    "morgen",
    "tag",
    "abend",
    "buenos",
    "días",
    "dias",
    "tardes",
    "buenas",
    "bonsoir",
    "salut",
    "ciao",
    "our",
    "my",
    "your",
    "the",
    "we",
    "as",
    "and",
    "but",
    "so",
    "thanks",
    "thank",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "yesterday",
    "today",
    "recently",
    "also",
    "when",
    "hola",
    "estimado",
    "estimada",
    "hallo",
    "lieber",
    "liebe",
    "sehr",
    "bonjour",
    "cher",
    "chère",
    "mutual",
    "friend",
    "mon",
    "ma",
    "mi",
];

/// Words that make a run of capitalised words an organisation, a place or an event rather
/// than a person ("referred by the Maryland Tech Council mentoring program").
const NOT_PEOPLE: [&str; 44] = [
    "academy",
    "agency",
    "alliance",
    "association",
    "bank",
    "board",
    "bootcamp",
    "capital",
    "center",
    "centre",
    "chamber",
    "club",
    "college",
    "committee",
    "community",
    "company",
    "conference",
    "consulting",
    "corp",
    "council",
    "department",
    "festival",
    "forum",
    "foundation",
    "group",
    "gmbh",
    "hub",
    "inc",
    "institute",
    "labs",
    "llc",
    "ltd",
    "meetup",
    "network",
    "partners",
    "program",
    "programme",
    "school",
    "society",
    "solutions",
    "summit",
    "team",
    "university",
    "ventures",
];

/// The first claimed contact in `text` and whether they are among `connections`
/// (case-insensitive, NFC); names in `exclude` (the owner, the sender) do not count.
pub fn claimed_contact(
    text: &str,
    connections: &[Connection],
    exclude: &[&str],
) -> Option<(String, bool)> {
    claimed_contact_in(text, &known_names(connections), exclude)
}

/// The connections' folded names, hashed (8 bytes each), for [`claimed_contact_in`]; built
/// once per export.
#[derive(Debug, Default)]
pub struct KnownNames(HashSet<u64>);

impl KnownNames {
    /// Whether a folded name is among them.
    fn contains(&self, folded: &str) -> bool {
        self.0
            .contains(&xxhash_rust::xxh3::xxh3_64(folded.as_bytes()))
    }
}

/// The connections' names, folded and hashed for [`claimed_contact_in`].
pub fn known_names(connections: &[Connection]) -> KnownNames {
    KnownNames(
        connections
            .iter()
            .map(|c| xxhash_rust::xxh3::xxh3_64(fold(&c.name).as_bytes()))
            .collect(),
    )
}

/// [`claimed_contact`] against names already folded by [`known_names`] (one lookup per claim).
pub fn claimed_contact_in(
    text: &str,
    known_names: &KnownNames,
    exclude: &[&str],
) -> Option<(String, bool)> {
    if !may_claim(text) || !CLAIM.is_match(text) {
        return None;
    }
    let excluded: Vec<String> = exclude.iter().map(|n| fold(n)).collect();
    for sentence in SENTENCE_END.split(text).filter(|s| CLAIM.is_match(s)) {
        for found in NAME.find_iter(sentence) {
            if organisation(found.as_str(), &sentence[found.end()..]) {
                continue;
            }
            let Some(name) = candidate(found.as_str()) else {
                continue;
            };
            let key = fold(&name);
            if excluded.contains(&key) || key.contains("linkedin") {
                continue;
            }
            let known = known_names.contains(&key);
            return Some((name, known));
        }
    }
    None
}

/// Whether the capitalised words `run`, followed by `after`, name an organisation: a word of
/// [`NOT_PEOPLE`] in a run of three or more ("Maryland Tech Council") or ending one of two
/// ("Acme Labs"), unless it is also a common surname ("Tom Bank"); or the word right after
/// the run, when it is part of the same name: capitalised, after a single space ("Data
/// Council Berlin", "Baltimore Data Meetup").
fn organisation(run: &str, after: &str) -> bool {
    let marks = |word: &str| {
        let word = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        NOT_PEOPLE.contains(&word.as_str())
    };
    let words: Vec<&str> = run.split_whitespace().collect();
    let in_run = match words.as_slice() {
        [first, second] => marks(first) || (marks(second) && !looks_like_a_surname(second)),
        all => all.iter().any(|w| marks(w)),
    };
    let next = after
        .strip_prefix(' ')
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase));
    in_run || next.is_some_and(marks)
}

/// Whether `name`, a sender's display name, is an organisation's: two or more words, the last
/// a word of [`NOT_PEOPLE`] that is not also a common surname ("Nordlicht Business School",
/// "Acme Labs"; not "Anna van der Bank", "Hub van Doorne", nor a person who adds their trade,
/// "Mike Jones | Growth Agency", "Dana Pruitt, LinkedIn Coach").
pub(super) fn organisation_name(name: &str) -> bool {
    let name = name.trim();
    if name.contains(['|', ',', '(']) || name.contains(" - ") || name.contains(" – ") {
        return false;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let Some(last) = words.last().filter(|_| words.len() >= 2) else {
        return false;
    };
    let last = last
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    NOT_PEOPLE.contains(&last.as_str()) && !looks_like_a_surname(&last)
}

/// Marker words that are also common surnames: ending a two-word run, they end a person's name.
fn looks_like_a_surname(word: &str) -> bool {
    const SURNAMES: [&str; 6] = ["bank", "board", "capital", "center", "college", "hub"];
    SURNAMES.contains(&word.to_lowercase().as_str())
}

/// Drops leading greeting words; keeps the first three words if at least two remain.
fn candidate(words: &str) -> Option<String> {
    let mut words: Vec<&str> = words.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| NOT_NAMES.contains(&w.to_lowercase().as_str()))
    {
        words.remove(0);
    }
    words.truncate(3);
    (words.len() >= 2).then(|| words.join(" "))
}

/// Case-folded, without accents (NFD less the combining diacritics U+0300–U+036F), with
/// single spaces, for comparing names: "Lucia Martin" is "Lucía Martín", written either way.
/// Other marks are parts of letters (Devanagari vowel signs, kana voicing) and stay.
pub(super) fn fold(name: &str) -> String {
    let bare: String = name
        .nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect();
    bare.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_lets_through_every_text_the_claim_regex_matches() {
        let mut texts: Vec<String> = [
            "Our MUTUAL friend",
            "FRIENDS",
            "Introduced by",
            "REFERRAL",
            "referred",
            "recommended",
            "suggested",
            "told me",
            "gave me your name",
            "Amigos",
            "común",
            "COMÚN",
            "comun",
            "recomendó",
            "me ha hablado de ti",
            "ME HA HABLADO DE TI",
            "Von dir ERZÄHLT",
            "Lukas Meyer mentioned you",
            "hat mir von dir erzählt",
            "hat dich erwähnt",
            "m'a parlé de vous",
            "gemeinsamen",
            "empfohlen",
            "amies",
            "Communs",
            "recommandée",
            "ſuggested",
            "nothing here",
        ]
        .map(String::from)
        .to_vec();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/outreach");
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "csv") {
                let mut reader = csv::Reader::from_path(entry.path()).unwrap();
                let text = reader
                    .headers()
                    .unwrap()
                    .iter()
                    .position(|h| h == "text")
                    .unwrap();
                texts.extend(reader.records().map(|r| r.unwrap()[text].to_string()));
            }
        }
        let matched = texts.iter().filter(|t| CLAIM.is_match(t)).count();
        assert!(matched > 100, "{matched}");
        for t in &texts {
            assert!(!CLAIM.is_match(t) || may_claim(t), "{t}");
        }
        assert!(!may_claim("nothing here"));
    }

    fn connections() -> Vec<Connection> {
        vec![Connection {
            name: "Jane O'Neil-Díaz".into(),
            profile_url: None,
            connected_on: None,
        }]
    }

    #[test]
    fn finds_a_claimed_mutual_contact_and_checks_it() {
        let text =
            "Hi Alex Owner, hope you are well. Our mutual friend Jane O'Neil-Di\u{301}az said hi.";
        assert_eq!(
            claimed_contact(text, &connections(), &["Alex Owner"]),
            Some(("Jane O'Neil-Di\u{301}az".into(), true))
        );
        let text = "Tom Baker recommended I reach out to you.";
        assert_eq!(
            claimed_contact(text, &connections(), &[]),
            Some(("Tom Baker".into(), false))
        );
    }

    #[test]
    fn a_name_is_the_same_with_or_without_its_accents() {
        let known = [Connection {
            name: "Lucía Martín".into(),
            profile_url: None,
            connected_on: None,
        }];
        for text in [
            "Lucia Martin suggested I reach out.",
            "Lucia Martín suggested I reach out.",
        ] {
            assert_eq!(
                claimed_contact(text, &known, &[]).map(|c| c.1),
                Some(true),
                "{text}"
            );
        }
    }

    #[test]
    fn understands_spanish_german_and_french_claims() {
        for text in [
            "Nuestro amigo Tom Baker me habló de ti.",
            "Tom Baker me ha hablado muy bien de ti.",
            "Tom Baker hat mir von dir erzählt.",
            "Tom Baker m'a parlé de vous.",
            "Tom Baker mentioned you're the person to ask.",
            "Tom Baker hat dich erwähnt.",
            "Tom Baker hat Sie empfohlen.",
            "Tom Baker m'a recommandé votre profil.",
        ] {
            assert_eq!(
                claimed_contact(text, &[], &[]).map(|c| c.0),
                Some("Tom Baker".into()),
                "{text}"
            );
        }
    }

    #[test]
    fn an_organisation_is_not_a_claimed_person_but_a_person_beside_one_is() {
        for text in [
            "I was referred by the Maryland Tech Council mentoring program.",
            "Our mutual friends at Data Council Berlin say hi.",
            "Recommended by Acme Labs, Inc.",
            "I was referred by the Baltimore Data Meetup organisers.",
        ] {
            assert_eq!(claimed_contact(text, &[], &[]), None, "{text}");
        }
        for (text, name) in [
            (
                "Tom Baker from the Chamber of Commerce recommended I reach out.",
                "Tom Baker",
            ),
            (
                "Our mutual friend Tom Bank suggested I reach out.",
                "Tom Bank",
            ),
            (
                "I was referred by Anna Lee (Program Director at Acme).",
                "Anna Lee",
            ),
        ] {
            let found = claimed_contact(text, &[], &[]).map(|c| c.0);
            assert_eq!(found.as_deref(), Some(name), "{text}");
        }
    }

    #[test]
    fn a_name_merely_mentioned_is_no_claim() {
        for text in [
            "As I mentioned on Monday, Peter Novak will send the contract.",
            "Peter Novak hat mir viel von der Messe erzählt.",
        ] {
            assert_eq!(claimed_contact(text, &[], &[]), None, "{text}");
        }
    }

    #[test]
    fn only_latin_accents_are_folded_away_not_marks_that_make_a_letter() {
        assert_eq!(fold("Lucía MARTÍN"), "lucia martin");
        assert_ne!(fold("सुनील कुमार"), fold("सोनल कुमार"));
        assert_ne!(fold("カトウ"), fold("ガトウ"));
    }

    #[test]
    fn ignores_the_excluded_names_and_sentences_without_a_claim() {
        assert_eq!(
            claimed_contact("Sam Lee here, my friend.", &[], &["sam lee"]),
            None
        );
        assert_eq!(
            claimed_contact("Tom Baker wants to sell you Premium Leads.", &[], &[]),
            None
        );
        assert_eq!(
            claimed_contact("Dear Sam, my friend runs SEO.", &[], &[]),
            None
        );
        // A greeting before the owner's first name is no one's name.
        for greeting in [
            "Morning Miriam",
            "Good Morning Miriam",
            "Guten Morgen Miriam",
        ] {
            let text = format!("{greeting}, quick question: a friend of mine is starting at Elbe.");
            assert_eq!(claimed_contact(&text, &[], &[]), None, "{text}");
        }
    }

    #[test]
    fn a_formal_greeting_names_no_claimed_contact() {
        // The owner is Jordan Avery; the greeting names them by title and surname.
        let claims: Vec<_> = [
            "Guten Tag Herr Avery, ein Freund von mir arbeitet bei Elbe Cargo.",
            "Buenos días Señora Avery, un amigo mío me habló de usted.",
            "Bonjour Madame Avery, un ami à moi m'a parlé de vous.",
        ]
        .into_iter()
        .filter_map(|t| claimed_contact(t, &[], &["Jordan Avery"]))
        .collect();
        assert!(claims.is_empty(), "greetings taken for claims: {claims:?}");
    }
}
