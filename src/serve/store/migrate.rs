//! Versioned migrations, applied at start: the SQL files under `migrations/<database>/`,
//! compiled into the binary, each applied once, in order, in its own transaction, and recorded
//! in `schema_migrations`. A database that has a migration this binary does not know is refused
//! (an older server must not write to a newer schema).

use sqlx::Row;

/// One migration: its version, its name and its SQL.
pub struct Migration {
    /// Applied in increasing order.
    pub version: i64,
    /// The file's name.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// SQLite's migrations.
pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_accounts_ledger_idempotency.sql",
        sql: include_str!("../../../migrations/sqlite/0001_accounts_ledger_idempotency.sql"),
    },
    Migration {
        version: 2,
        name: "0002_handoffs.sql",
        sql: include_str!("../../../migrations/sqlite/0002_handoffs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_settings.sql",
        sql: include_str!("../../../migrations/sqlite/0003_settings.sql"),
    },
];

/// PostgreSQL's migrations.
pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_accounts_ledger_idempotency.sql",
        sql: include_str!("../../../migrations/postgres/0001_accounts_ledger_idempotency.sql"),
    },
    Migration {
        version: 2,
        name: "0002_handoffs.sql",
        sql: include_str!("../../../migrations/postgres/0002_handoffs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_settings.sql",
        sql: include_str!("../../../migrations/postgres/0003_settings.sql"),
    },
];

const CREATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)";

macro_rules! apply {
    ($name:ident, $db:ty, $pool:ty, $begin:expr) => {
        /// Applies the migrations this database has not seen.
        pub async fn $name(pool: &$pool, migrations: &[Migration]) -> Result<(), sqlx::Error> {
            sqlx::query(CREATE_TABLE).execute(pool).await?;
            let applied: Vec<i64> =
                sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()?;
            let known = migrations.last().map_or(0, |m| m.version);
            if let Some(newer) = applied.iter().find(|v| **v > known) {
                return Err(sqlx::Error::Protocol(format!(
                    "the database has migration {newer}, newer than this server knows ({known}); \
                     run a newer server"
                )));
            }
            for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
                let mut tx = pool.begin_with($begin).await?;
                sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok(())
        }
    };
}

apply!(
    apply_sqlite_with,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    "BEGIN IMMEDIATE"
);
apply!(apply_postgres_with, sqlx::Postgres, sqlx::PgPool, "BEGIN");

/// Applies SQLite's migrations.
pub async fn apply_sqlite(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    apply_sqlite_with(pool, SQLITE).await
}

/// Applies PostgreSQL's migrations. Two servers starting at once on an empty database race to
/// create the tables; a transaction-level advisory lock makes the second wait for the first.
pub async fn apply_postgres(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let mut lock = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(727274)")
        .execute(&mut *lock)
        .await?;
    let result = apply_postgres_with(pool, POSTGRES).await;
    sqlx::query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut *lock)
        .await?;
    result
}
