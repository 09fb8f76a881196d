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

use crate::read::Message;
use text::TextSpec;

/// What features a model uses; stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Text hashing parameters.
    pub text: TextSpec,
    /// Cue names, in vector order (`cue:` prefix implied).
    pub cues: Vec<String>,
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

/// The text a model reads for a message: subject and body.
pub fn full_text(m: &Message) -> String {
    if m.subject.is_empty() {
        m.text.clone()
    } else {
        format!("{}\n{}", m.subject, m.text)
    }
}

/// Cue and context values for every message of a batch, in input order.
pub fn side_features(messages: &[Message]) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    let cue_rows: Vec<[f64; cues::CUE_NAMES.len()]> = messages
        .par_iter()
        .map(|m| cues::cue_values(&full_text(m)))
        .collect();
    let pitch_idx = cues::CUE_NAMES
        .iter()
        .position(|n| *n == "pitch_language")
        .expect("pitch cue");
    let pitch: Vec<bool> = cue_rows.iter().map(|c| c[pitch_idx] > 0.0).collect();
    let ctx_rows = context::context_values(messages, &pitch);
    cue_rows
        .iter()
        .zip(ctx_rows)
        .zip(messages)
        .map(|((c, x), m)| {
            c.iter()
                .chain(x.iter())
                .chain(mail::mail_values(m).iter())
                .copied()
                .collect()
        })
        .collect()
}
