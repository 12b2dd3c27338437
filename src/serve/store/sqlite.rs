//! The embedded store: one SQLite file in WAL mode (readers never wait for the writer), each
//! write transaction begun with `BEGIN IMMEDIATE` so it takes the write lock before reading
//! (two writers never interleave, so the version compare-and-set never loses on one server),
//! and a busy timeout so a writer waits for the lock instead of failing. One process serves
//! the file; subscribers hear of changes from that process's broadcast.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::sql::sql_store;

/// How long a writer waits for SQLite's write lock before the attempt counts as lost.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Accounts in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(in crate::serve) pool: SqlitePool,
    /// SQLite has one writer at a time. Writers of this process queue here, in order, instead
    /// of polling SQLite's lock with its busy handler (which sleeps in growing steps and makes
    /// latency jump under load). The busy timeout still covers another process on the file.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url` (`sqlite://quotient.db`) and applies
    /// the migrations it has not seen.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = SqliteStore {
            pool,
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        };
        super::migrate::apply_sqlite(&store.pool).await?;
        Ok(store)
    }

    /// Waits for this process's turn to write.
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        Some(self.writer.clone().lock_owned().await)
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Busy or locked (another writer held the lock past the timeout): try again.
    fn retryable(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(d) => matches!(
                d.code().as_deref(),
                Some("5" | "6" | "261" | "262" | "517" | "773")
            ),
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        }
    }

    fn unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }

    /// One process owns the file: subscribers hear from its in-memory broadcast.
    async fn notify(
        &self,
        _tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        _account: &str,
        _events: &[super::Event],
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

sql_store!(SqliteStore, sqlx::Sqlite);
