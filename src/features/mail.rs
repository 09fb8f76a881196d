//! Mail-header features: what a mail's headers say about how it was sent.
//!
//! Bulk senders announce themselves (List-Unsubscribe, List-Id, Precedence: bulk,
//! Feedback-ID); one-to-one cold outreach does not, and LinkedIn's own notifications carry
//! invitations. Messages that are not mail get zeros and `is_mail = 0`. This module owns the
//! names and the 0/1 values; the headers are read by [`crate::read::mail`].

use crate::read::Message;

/// The mail feature names, in vector order (`mail:` prefix implied).
pub const MAIL_NAMES: [&str; 8] = [
    "is_mail",
    "list_unsubscribe",
    "one_click_unsubscribe",
    "precedence_bulk",
    "list_id",
    "feedback_id",
    "linkedin_notification",
    "linkedin_invitation",
];

/// The mail feature values of one message.
pub fn mail_values(m: &Message) -> [f64; MAIL_NAMES.len()] {
    let Some(h) = &m.mail else {
        return [0.0; MAIL_NAMES.len()];
    };
    [
        true,
        h.list_unsubscribe,
        h.one_click_unsubscribe,
        h.precedence_bulk,
        h.list_id,
        h.feedback_id,
        h.linkedin_notification,
        h.linkedin_invitation,
    ]
    .map(|b| f64::from(u8::from(b)))
}
