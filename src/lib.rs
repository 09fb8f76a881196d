//! hardsell finds the spammy outreach in a professional inbox: *collectors* who pile up
//! connections with no note or a generic one, and *hard sellers* who pitch the minute a
//! request is accepted and follow up without end.
//!
//! The flow runs one way: [`read`] (files → messages) → [`features`] (messages → text,
//! cue and context features) → [`model`] (features → probabilities; training included) →
//! [`score`] / [`evaluate`] (batches and metrics) → [`report`] (the only writer).
//! [`cli`] holds what the user typed and [`app`] turns it into one call per subcommand.
#![deny(missing_docs)]

pub mod app;
pub mod cli;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod metrics;
pub mod model;
pub mod pool;
pub mod read;
pub mod report;
pub mod score;
pub mod senders;
