//! Tamper-evident quotes: with a key the embedder supplies, every quote carries an HMAC-SHA256
//! over what it is bound to (the account, the exchange, the cycle, the policy version, the
//! account version, until when it holds, the amounts). An exchange that sends a quote back
//! must send it unaltered, or it is refused with `quote.tampered`: a client cannot stretch a
//! quote's `valid_until` or change its amounts. Without a key, quotes carry no MAC and are
//! checked field by field only, as before.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// A secret for signing quotes (at least 16 bytes; longer keys are hashed to 32).
#[derive(Clone)]
pub struct QuoteKey {
    key: [u8; 64],
}

impl std::fmt::Debug for QuoteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QuoteKey(..)")
    }
}

/// What a quote's MAC covers.
pub(crate) struct Bound<'a> {
    pub account: &'a str,
    pub exchange: &'a str,
    pub cycle: i64,
    pub policy_version: &'a str,
    pub balance_version: u64,
    pub valid_until: DateTime<Utc>,
    pub from_amount: Decimal,
    pub to_amount: Decimal,
}

impl QuoteKey {
    /// A key from secret bytes; `None` when there are fewer than 16.
    pub fn new(secret: &[u8]) -> Option<QuoteKey> {
        if secret.len() < 16 {
            return None;
        }
        let mut key = [0u8; 64];
        if secret.len() > 64 {
            key[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        Some(QuoteKey { key })
    }

    /// HMAC-SHA256 of `message` (RFC 2104).
    fn hmac(&self, message: &[u8]) -> [u8; 32] {
        let pad = |byte: u8| -> [u8; 64] {
            let mut p = [0u8; 64];
            for (p, k) in p.iter_mut().zip(self.key) {
                *p = k ^ byte;
            }
            p
        };
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }

    /// The MAC of a quote bound to `b`, in hex.
    pub(crate) fn mac(&self, b: &Bound<'_>) -> String {
        let message = format!(
            "quotient-quote-v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            b.account,
            b.exchange,
            b.cycle,
            b.policy_version,
            b.balance_version,
            b.valid_until.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            b.from_amount.normalize(),
            b.to_amount.normalize()
        );
        self.hmac(message.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `sent` is the MAC of a quote bound to `b` (compared in constant time).
    pub(crate) fn verify(&self, b: &Bound<'_>, sent: &str) -> bool {
        let want = self.mac(b);
        want.len() == sent.len()
            && want
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::QuoteKey;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231, test case 2 ("Jefe" is too short for a quote key, so case 4's key).
        let key: Vec<u8> = (1..=25).collect();
        let k = QuoteKey::new(&key).expect("key");
        let mac = k.hmac(&[0xcd; 50]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        );
        assert!(QuoteKey::new(b"short").is_none());
    }
}
