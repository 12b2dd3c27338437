//! Desktop hand-offs: a capability to finish one exchange on Web. A hand-off is a random opaque
//! token (256 bits from the operating system) stored only as its SHA-256, bound to the account,
//! the exchange, the platform that handed off and the one that executes, the policy version and
//! the quote shown, valid for a short time and usable once. Its link is the exchange page with
//! the token added (`?t=...`). The page's CSRF token is derived from the hand-off's token, so
//! it is bound to that hand-off and nothing needs storing for it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A hand-off to write, with the token only its link carries.
#[derive(Debug, Clone)]
pub struct NewHandoff {
    /// Its id (the page's idempotency key is derived from it).
    pub id: String,
    /// The token, as it goes into the link (never stored).
    pub token: String,
    /// The account.
    pub account: String,
    /// The exchange to finish.
    pub exchange: String,
    /// The platform that handed off (`desktop`).
    pub from_platform: String,
    /// The platform that executes (`web`).
    pub to_platform: String,
    /// The policy version in force when it was made.
    pub policy_version: String,
    /// The quote shown where it was made, as JSON.
    pub quote: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Until when it holds.
    pub expires_at: DateTime<Utc>,
}

/// A stored hand-off, as the page reads it.
#[derive(Debug, Clone)]
pub struct Handoff {
    /// Its id.
    pub id: String,
    /// The account.
    pub account: String,
    /// The exchange.
    pub exchange: String,
    /// The platform that handed off.
    pub from_platform: String,
    /// The platform that executes.
    pub to_platform: String,
    /// Until when it holds.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// 32 random bytes in hex; `None` if the operating system gives no randomness.
pub fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// SHA-256 of `text`, in hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The CSRF token of the page opened with `token`.
pub fn csrf_for(token: &str) -> String {
    sha256_hex(&format!("quotient-csrf:{token}"))
}

/// Whether `a` and `b` are equal, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A fresh hand-off id and token; `None` if the operating system gives no randomness.
pub fn fresh() -> Option<(String, String)> {
    Some((format!("h-{}", &random_hex()?[..24]), random_hex()?))
}

/// The link for `token`: the exchange page with the token added.
pub fn link(base: &str, token: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}t={token}")
}
