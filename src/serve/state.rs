//! What every handler shares: the store, the policy versions in force (swapped whole on a
//! reload), the clients, the clock, the metrics, the idempotency keys being decided right now
//! in this process, and the broadcast that pushes changes to subscribers. Cloning an [`App`] is
//! cloning one `Arc`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use quotient::{Limits, PolicySet};
use tokio::sync::broadcast;

use super::clients::Clients;
use super::clock::Clock;
use super::metrics::Metrics;
use super::store::Backend;

/// One change pushed to subscribers: the account and the event.
#[derive(Debug, Clone)]
pub struct Change {
    /// The account's id.
    pub account: String,
    /// Its new version (the event id).
    pub version: u64,
    /// The event's JSON.
    pub payload: String,
}

/// The service's shared state.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Backend,
    policies: RwLock<Arc<PolicySet>>,
    policy_path: PathBuf,
    limits: Limits,
    clients: Clients,
    clock: Clock,
    metrics: Metrics,
    in_flight: Mutex<HashSet<(String, String)>>,
    changes: broadcast::Sender<Change>,
    handoff_ttl: chrono::Duration,
    quote_key: quotient::QuoteKey,
    exchange_page: std::sync::OnceLock<Option<String>>,
    exchange_page_setting: ExchangePage,
}

/// Where hand-off links lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangePage {
    /// The policy's link (the product's own Web page, which serves this service's page).
    Policy,
    /// This server's own `/exchange`, at the address it listens on.
    Itself,
    /// A given URL.
    Url(String),
}

/// The service's settings that handlers read.
pub struct Settings {
    /// Where the policy was loaded from (re-read on reload).
    pub policy_path: PathBuf,
    /// The limits policies are loaded with.
    pub limits: Limits,
    /// How long a Desktop hand-off link holds.
    pub handoff_ttl: chrono::Duration,
    /// Where hand-off links lead.
    pub exchange_page: ExchangePage,
    /// The key quotes are signed with (shared by every server on the database).
    pub quote_key: quotient::QuoteKey,
}

impl App {
    /// The shared state of a server.
    pub fn new(
        store: Backend,
        policies: PolicySet,
        clients: Clients,
        clock: Clock,
        settings: Settings,
    ) -> Self {
        let (changes, _) = broadcast::channel(1024);
        App {
            inner: Arc::new(Inner {
                store,
                policies: RwLock::new(Arc::new(policies)),
                policy_path: settings.policy_path,
                limits: settings.limits,
                clients,
                clock,
                metrics: Metrics::default(),
                in_flight: Mutex::new(HashSet::new()),
                changes,
                handoff_ttl: settings.handoff_ttl,
                quote_key: settings.quote_key,
                exchange_page: std::sync::OnceLock::new(),
                exchange_page_setting: settings.exchange_page,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Backend {
        &self.inner.store
    }

    /// The policy versions in force now (a reload swaps them; a request keeps the ones it
    /// started with).
    pub fn policies(&self) -> Arc<PolicySet> {
        self.inner
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the policy versions.
    pub fn set_policies(&self, set: PolicySet) {
        *self
            .inner
            .policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
    }

    /// Where the policy is re-read from.
    pub fn policy_path(&self) -> &PathBuf {
        &self.inner.policy_path
    }

    /// The limits policies are loaded with.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The clients.
    pub fn clients(&self) -> &Clients {
        &self.inner.clients
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Records the address the server listens on (`http://127.0.0.1:8080`), for links to its own
    /// exchange page.
    pub fn listening_on(&self, base: &str) {
        let page = match &self.inner.exchange_page_setting {
            ExchangePage::Policy => None,
            ExchangePage::Itself => Some(format!("{base}/exchange")),
            ExchangePage::Url(u) => Some(u.clone()),
        };
        let _ = self.inner.exchange_page.set(page);
    }

    /// How the service decides: quotes signed with its key.
    pub fn decide_options(&self) -> quotient::DecideOptions<'_> {
        quotient::DecideOptions::default().with_quote_key(&self.inner.quote_key)
    }

    /// A fresh hand-off id and token for a request that may hand off; `None` without
    /// randomness (then no hand-off is minted).
    pub fn handoff_spec(&self) -> Option<super::transition::HandoffSpec> {
        let (id, token) = super::handoff::fresh()?;
        Some(super::transition::HandoffSpec {
            id,
            token,
            ttl: self.inner.handoff_ttl,
            page: self.inner.exchange_page.get().cloned().flatten(),
        })
    }

    /// Marks `(account, key)` as being decided in this process; `None` if it already is.
    pub fn begin_key(&self, account: &str, key: &str) -> Option<KeyGuard> {
        let entry = (account.to_string(), key.to_string());
        let mut set = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !set.insert(entry.clone()) {
            return None;
        }
        Some(KeyGuard {
            app: self.clone(),
            entry,
        })
    }

    /// Pushes a change to this process's subscribers.
    pub fn publish(&self, change: Change) {
        // No subscriber is not an error.
        let _ = self.inner.changes.send(change);
    }

    /// A receiver of every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }
}

/// While it lives, its idempotency key is marked as being decided.
pub struct KeyGuard {
    app: App,
    entry: (String, String),
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        self.app
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.entry);
    }
}
