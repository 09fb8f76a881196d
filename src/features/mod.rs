//! Features: turns messages into the inputs of the model.
//!
//! Three families, each with stable names: hashed text n-grams ([`text`], fed to the sparse
//! text model), outreach cues the text shows ([`cues`]) and thread context ([`context`]).
//! The [`FeatureSpec`] is saved in every model so scoring rebuilds exactly the same features;
//! a later source (mail headers, say) joins by adding a family here, not by touching the model.

pub mod context;
pub mod cues;
pub mod mail;
pub mod text;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use crate::read::Message;
use text::TextSpec;

/// What features a model uses; stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Text hashing parameters.
    pub text: TextSpec,
    /// Cue names, in vector order (`cue:` prefix implied).
    pub cues: Vec<String>,
    /// A digest of the phrase lists and matching rules behind the cues
    /// ([`cues::phrases_digest`]): a model is read only by a build whose cues mean the same.
    /// Empty in files written before it was recorded.
    #[serde(default)]
    pub cue_phrases: String,
    /// Context feature names, in vector order (`context:` prefix implied).
    pub context: Vec<String>,
    /// Mail-header feature names, in vector order (`mail:` prefix implied).
    pub mail: Vec<String>,
}

impl FeatureSpec {
    /// The spec of this build, with the given text parameters.
    pub fn current(text: TextSpec) -> Self {
        FeatureSpec {
            text,
            cues: cues::CUE_NAMES.iter().map(|s| s.to_string()).collect(),
            cue_phrases: cues::phrases_digest(),
            context: context::CONTEXT_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            mail: mail::MAIL_NAMES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Names of the side features (cues, context, mail), prefixed with their family.
    pub fn side_names(&self) -> Vec<String> {
        let cues = self.cues.iter().map(|c| format!("cue:{c}"));
        let context = self.context.iter().map(|c| format!("context:{c}"));
        let mail = self.mail.iter().map(|c| format!("mail:{c}"));
        cues.chain(context).chain(mail).collect()
    }
}

/// The text a model reads for a message: subject and body (the body itself when there is
/// no subject).
pub fn full_text(m: &Message) -> Cow<'_, str> {
    if m.subject.is_empty() {
        Cow::Borrowed(&m.text)
    } else {
        Cow::Owned(format!("{}\n{}", m.subject, m.text))
    }
}

/// Cue, context and mail values for every message of a batch held in memory, in input order;
/// threads are whatever the batch holds of them.
pub fn side_features(messages: &[Message]) -> Vec<Vec<f64>> {
    let mut threads = context::Threads::default();
    messages.iter().for_each(|m| threads.push(m));
    side_features_placed(messages, &context::thread_context(&mut threads))
}

/// Cue, context and mail values of `messages`, whose places in their threads were worked out
/// beforehand (over a whole stream, say); same order.
pub fn side_features_placed(
    messages: &[Message],
    places: &[context::ThreadContext],
) -> Vec<Vec<f64>> {
    side_features_and_cues(messages, places).0
}

/// [`side_features_placed`], with the cue counts of each message's body (see
/// [`cues::message_cues`]).
pub fn side_features_and_cues(
    messages: &[Message],
    places: &[context::ThreadContext],
) -> (Vec<Vec<f64>>, Vec<cues::CueCounts>) {
    use rayon::prelude::*;
    messages
        .par_iter()
        .zip(places)
        .map(|(m, place)| {
            let (counts, body) = cues::message_cues(&m.subject, &m.text);
            let cue_row = cues::cue_values_of(counts);
            let pitch = cue_row[const { cues::cue_index("pitch_language") }] > 0.0;
            let ctx = context::values(place, m, pitch);
            let row = cue_row
                .iter()
                .chain(ctx.iter())
                .chain(mail::mail_values(m).iter())
                .copied()
                .collect();
            (row, body)
        })
        .unzip()
}
