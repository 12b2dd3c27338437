//! The shared store: one PostgreSQL database that any number of stateless servers use at once.
//!
//! Transactions run at READ COMMITTED by default. That suffices because no decision is written
//! on a stale read: the account row is updated only `WHERE version = <the version read>`, so
//! of two transactions that read the same version exactly one updates a row and the other sees
//! zero rows affected and starts again (PostgreSQL re-checks the `WHERE` against the newest
//! committed row after waiting for the first writer's lock). Everything else a transaction
//! writes is an insert under a unique key (ledger seq, one-time exchange, idempotency key), so
//! a race there is a unique violation, which also starts the transaction again.
//!
//! At SERIALIZABLE (`--isolation serializable`), the only level a distributed engine such as
//! CockroachDB offers, the database may instead abort a transaction with SQLSTATE 40001; that
//! is retried the same way. On CockroachDB the same SQL would work, with two changes: retries
//! are far more frequent under contention (so the bounded retry count matters), and the
//! `LISTEN`/`NOTIFY` below does not exist there, so servers would learn of each other's changes
//! from a changefeed on `events` (or by polling it) instead.
//!
//! Servers hear of each other's transitions through `NOTIFY` on [`CHANNEL`], sent inside the
//! transaction (so it is delivered only if it commits).

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::sql::sql_store;

/// The `LISTEN`/`NOTIFY` channel transitions are announced on.
pub const CHANNEL: &str = "quotient_events";

/// The isolation level write transactions run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// The default: the version compare-and-set guards every write.
    ReadCommitted,
    /// What CockroachDB runs at; serialization failures are retried.
    Serializable,
}

/// Accounts in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(in crate::serve) pool: PgPool,
    isolation: Isolation,
}

impl PgStore {
    /// Connects to `url` (`postgres://...`) and applies the migrations it has not seen.
    pub async fn open(url: &str, isolation: Isolation) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let store = PgStore { pool, isolation };
        super::migrate::apply_postgres(&store.pool).await?;
        Ok(store)
    }

    /// PostgreSQL has row locks: writers of different accounts never wait for each other.
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        None
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        match self.isolation {
            Isolation::ReadCommitted => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
                    .await
            }
            Isolation::Serializable => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    .await
            }
        }
    }

    /// Serialization failure (40001) or deadlock (40P01): try again.
    fn retryable(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40001" | "40P01")),
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        }
    }

    fn unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }

    /// Announces each event to every server listening on [`CHANNEL`], on commit.
    async fn notify(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        account: &str,
        events: &[super::Event],
    ) -> Result<(), sqlx::Error> {
        for e in events {
            let note = serde_json::json!({ "account": account, "version": e.version }).to_string();
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(note)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

sql_store!(PgStore, sqlx::Postgres);
