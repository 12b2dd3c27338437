//! The store: where accounts, their ledger, idempotent responses, one-time exchanges and events
//! live, behind one [`Store`] trait with two implementations, [`sqlite`] (embedded, the
//! default) and [`postgres`] (one database shared by many servers). They share their SQL
//! (`sql.rs`: `$1` placeholders work on both) and differ only where the databases do: how a
//! transaction begins, which errors mean "try again", and how other servers hear of a change.
//!
//! Every request is one transaction ([`Store::transact`]): read the account and the response
//! stored under the request's idempotency key (one round trip), let the caller decide (a pure function, given what was read), then compare-and-set
//! the account's version, append the ledger (each group with its event), record one-time
//! exchanges, store the
//! response under its idempotency key, commit. A lost compare-and-set or a serialization
//! failure starts the whole transaction again, a bounded number of times.

pub mod migrate;
pub mod postgres;
mod sql;
pub mod sqlite;

use std::future::Future;

use chrono::{DateTime, Utc};
use quotient::Snapshot;
use quotient::ledger::LedgerGroup;

use super::error::ApiError;

/// The most times one request's transaction is started again after a lost compare-and-set or a
/// serialization failure.
pub const MAX_ATTEMPTS: u32 = 16;

/// An account as stored.
#[derive(Debug, Clone)]
pub struct StoredAccount {
    /// The current snapshot.
    pub snapshot: Snapshot,
}

/// A response as it went out, stored under an idempotency key and replayed byte for byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, exactly.
    pub body: String,
}

/// An idempotency key and the fingerprint of the request it was first sent with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key the client chose.
    pub key: String,
    /// SHA-256 of what the request asks (method, path, caller, body).
    pub fingerprint: String,
}

/// One event pushed to subscribers after a transition: the account's version and a JSON payload.
#[derive(Debug, Clone)]
pub struct Event {
    /// The account version the transition made (the SSE event id).
    pub version: u64,
    /// The JSON sent to subscribers.
    pub payload: String,
}

/// What a transaction writes: the new snapshot (replacing the one at `expected_version`), the
/// ledger groups that lead to it, the one-time exchanges it did and its events.
#[derive(Debug, Clone)]
pub struct Write {
    /// The version the account had when it was read; the write fails if it has another now.
    pub expected_version: u64,
    /// The snapshot after every group.
    pub snapshot: Snapshot,
    /// The groups, in order.
    pub groups: Vec<LedgerGroup>,
    /// One-time exchanges done: `(exchange, group seq, at)`.
    pub one_time_exchanges: Vec<(String, u64, DateTime<Utc>)>,
    /// Events, one per group (stored with it).
    pub events: Vec<Event>,
}

/// What the caller decided, given what was read.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// What to write, if anything changes.
    pub write: Option<Write>,
    /// Hand-offs to create in the same transaction (a Desktop exchange, an offer on Desktop).
    pub handoffs: Vec<super::handoff::NewHandoff>,
    /// The hand-off this transaction uses up (the exchange page's confirmation): the
    /// transaction fails unless it is still unused and unexpired.
    pub use_handoff: Option<String>,
    /// The response.
    pub response: StoredResponse,
    /// Whether to store the response under the request's idempotency key (decisions are
    /// stored; refusals of malformed input are not, so a corrected retry is decided again).
    pub store_response: bool,
}

/// What a transaction gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The response to send.
    pub response: StoredResponse,
    /// Whether it was replayed from an earlier request with the same idempotency key.
    pub replayed: bool,
    /// What was written (for the events pushed after commit).
    pub written: Option<Write>,
    /// How many times the transaction was started again.
    pub retries: u32,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The transaction lost to others every time it was tried.
    #[error("the account is too busy: {0} attempts lost to concurrent changes")]
    Contended(u32),
    /// Stored data does not read (a stored snapshot or ledger group is not valid JSON).
    #[error("stored data does not read: {0}")]
    Corrupt(String),
}

/// A decision a transaction's caller makes from what was read.
pub trait Decide: Fn(Option<&StoredAccount>) -> Result<Plan, ApiError> + Send + Sync {}
impl<F: Fn(Option<&StoredAccount>) -> Result<Plan, ApiError> + Send + Sync> Decide for F {}

/// An account's stored history, for `quotient audit`.
#[derive(Debug, Clone)]
pub struct History {
    /// The account's id.
    pub id: String,
    /// The snapshot as it was created or imported.
    pub imported: Snapshot,
    /// The snapshot now.
    pub current: Snapshot,
    /// Every ledger group, in order of `seq`, with its seq.
    pub groups: Vec<(u64, LedgerGroup)>,
    /// One-time exchanges recorded in `exchanges_done`.
    pub exchanges_done: Vec<String>,
}

/// Accounts, their ledger and idempotent responses in a SQL database.
pub trait Store: Clone + Send + Sync + 'static {
    /// Runs one request as one transaction (see the module docs); `decide` may be called more
    /// than once, each time with what that attempt read.
    fn transact(
        &self,
        account: &str,
        idempotency: Option<&Idempotency>,
        now: DateTime<Utc>,
        decide: &dyn Decide,
    ) -> impl Future<Output = Result<Result<Outcome, ApiError>, StoreError>> + Send;

    /// Creates an account from a snapshot; `Ok(false)` when one with this id exists.
    fn create(
        &self,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The account's current snapshot, without any change.
    fn account(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send;

    /// The account's ledger groups with seq greater than `after`, in order, at most `limit`.
    fn ledger(
        &self,
        id: &str,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(u64, LedgerGroup)>, StoreError>> + Send;

    /// The account's events with a version greater than `after`, in order, at most `limit`.
    fn events_after(
        &self,
        id: &str,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// Every account id, in order, `limit` at a time after `after`.
    fn account_ids(
        &self,
        after: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Everything stored about one account, for the audit.
    fn history(&self, id: &str)
    -> impl Future<Output = Result<Option<History>, StoreError>> + Send;

    /// Deletes idempotency records created before `before`, and hand-offs that expired
    /// before it; how many.
    fn purge_idempotency(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The setting `name`: the one stored, or `first` stored now if there is none yet (the
    /// first server to start decides, every other server reads it).
    fn setting(
        &self,
        name: &str,
        first: &str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// The hand-off whose token hashes to `token_sha256`.
    fn find_handoff(
        &self,
        token_sha256: &str,
    ) -> impl Future<Output = Result<Option<super::handoff::Handoff>, StoreError>> + Send;
}

/// The text form instants are stored in: RFC 3339 in UTC with fixed precision, so that text
/// order is time order.
pub fn instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A version as the database stores it (BIGINT); versions above `i64::MAX` are refused when
/// an account is created, so this never fails for a stored account.
pub fn db_version(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("version {v} does not fit")))
}

/// A version as the engine uses it.
pub fn engine_version(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("stored version {v} is negative")))
}

/// The store the server was started with: one of the two implementations, chosen by the
/// database URL. Handlers work on this, so they are written once.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `sqlite://...`
    Sqlite(sqlite::SqliteStore),
    /// `postgres://...`
    Postgres(postgres::PgStore),
}

impl Backend {
    /// Opens the database at `url` and applies its migrations.
    pub async fn open(url: &str, isolation: postgres::Isolation) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(
                postgres::PgStore::open(url, isolation).await?,
            ))
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite(sqlite::SqliteStore::open(url).await?))
        } else {
            Err(sqlx::Error::Configuration(
                format!("`{url}` is neither a `sqlite://` nor a `postgres://` URL").into(),
            ))
        }
    }

    /// The PostgreSQL pool, when the store is one (for `LISTEN`).
    pub fn postgres_pool(&self) -> Option<&sqlx::PgPool> {
        match self {
            Backend::Postgres(p) => Some(&p.pool),
            Backend::Sqlite(_) => None,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Backend::Sqlite($s) => $e,
            Backend::Postgres($s) => $e,
        }
    };
}

impl Store for Backend {
    async fn transact(
        &self,
        account: &str,
        idempotency: Option<&Idempotency>,
        now: DateTime<Utc>,
        decide: &dyn Decide,
    ) -> Result<Result<Outcome, ApiError>, StoreError> {
        delegate!(self, s => s.transact(account, idempotency, now, decide).await)
    }

    async fn create(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> Result<bool, StoreError> {
        delegate!(self, s => s.create(snapshot, now).await)
    }

    async fn account(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        delegate!(self, s => s.account(id).await)
    }

    async fn ledger(
        &self,
        id: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, LedgerGroup)>, StoreError> {
        delegate!(self, s => s.ledger(id, after, limit).await)
    }

    async fn events_after(
        &self,
        id: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        delegate!(self, s => s.events_after(id, after, limit).await)
    }

    async fn account_ids(&self, after: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        delegate!(self, s => s.account_ids(after, limit).await)
    }

    async fn history(&self, id: &str) -> Result<Option<History>, StoreError> {
        delegate!(self, s => s.history(id).await)
    }

    async fn purge_idempotency(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        delegate!(self, s => s.purge_idempotency(before).await)
    }

    async fn setting(&self, name: &str, first: &str) -> Result<String, StoreError> {
        delegate!(self, s => s.setting(name, first).await)
    }

    async fn find_handoff(
        &self,
        token_sha256: &str,
    ) -> Result<Option<super::handoff::Handoff>, StoreError> {
        delegate!(self, s => s.find_handoff(token_sha256).await)
    }
}
