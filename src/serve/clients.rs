//! Who may call the service: the clients file (YAML or JSON), a list of
//! `{ name, key_sha256, platform }` (a platform the policy names) or
//! `{ name, key_sha256, admin: true }`. Keys are never stored, only their SHA-256 in hex; a
//! request's key is hashed and looked up, and the client it belongs to (never a field of the
//! request) says which platform is calling.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One entry of the clients file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    key_sha256: String,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    admin: bool,
}

/// What a client may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A client app on one platform (`web`, `desktop`, `mobile`).
    Platform(String),
    /// An operator: imports accounts, reloads the policy.
    Admin,
}

/// A known client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Its name, for logs.
    pub name: String,
    /// What it may do.
    pub role: Role,
}

impl Client {
    /// The platform it calls from, if it is a platform client.
    pub fn platform(&self) -> Option<&str> {
        match &self.role {
            Role::Platform(p) => Some(p),
            Role::Admin => None,
        }
    }
}

/// Every client, by the SHA-256 of its key.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    by_hash: BTreeMap<String, Client>,
}

/// SHA-256 of `key`, in lowercase hex.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Clients {
    /// Reads the clients file `name` (its text), checking every entry against the platforms
    /// the policy names; every problem is listed.
    pub fn read(name: &str, text: &str, platforms: &[&str]) -> Result<Clients, Vec<String>> {
        let entries: Vec<Entry> =
            quotient::read_document(name, text).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        let mut by_hash = BTreeMap::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, e) in entries.into_iter().enumerate() {
            let at = format!("{name}: clients[{i}] (`{}`)", e.name);
            if e.name.trim().is_empty() {
                problems.push(format!("{at}: the name is empty"));
            }
            if !names.insert(e.name.clone()) {
                problems.push(format!("{at}: the name is used twice"));
            }
            let hash = e.key_sha256.trim().to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                problems.push(format!(
                    "{at}: `key_sha256` must be 64 hex digits (the SHA-256 of the key, as \
                     `printf %s KEY | sha256sum` prints it)"
                ));
                continue;
            }
            let role = match (e.platform, e.admin) {
                (Some(p), false) => {
                    if !platforms.contains(&p.as_str()) {
                        problems.push(format!(
                            "{at}: unknown platform `{p}`; the policy has {}",
                            platforms
                                .iter()
                                .map(|p| format!("`{p}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                        continue;
                    }
                    Role::Platform(p)
                }
                (None, true) => Role::Admin,
                (Some(_), true) => {
                    problems.push(format!(
                        "{at}: a client is a platform or an admin, not both"
                    ));
                    continue;
                }
                (None, false) => {
                    problems.push(format!("{at}: give a `platform`, or `admin: true`"));
                    continue;
                }
            };
            if by_hash
                .insert(hash, Client { name: e.name, role })
                .is_some()
            {
                problems.push(format!("{at}: two clients share this key"));
            }
        }
        if problems.is_empty() {
            Ok(Clients { by_hash })
        } else {
            Err(problems)
        }
    }

    /// The client whose key is `key`.
    pub fn find(&self, key: &str) -> Option<&Client> {
        self.by_hash.get(&key_hash(key))
    }

    /// The platforms clients call from.
    pub fn platforms(&self) -> impl Iterator<Item = &str> {
        self.by_hash.values().filter_map(Client::platform)
    }
}
