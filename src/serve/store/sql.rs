//! The SQL both stores share, and `sql_store!`, which writes the same transaction logic for
//! each concrete driver (sqlx's `Any` driver is not used: its placeholders break on PostgreSQL,
//! and a concrete pool keeps each driver's own types and errors). A store type provides four
//! things the databases do differently: `write_turn` (whether writers of one process queue),
//! `begin` (how a write transaction starts), `retryable` (which errors mean "start again"),
//! `unique_violation` and `notify` (telling other servers).

pub const SELECT_ACCOUNT: &str = "SELECT version, snapshot FROM accounts WHERE id = $1";
/// The account and, in the same round trip, the response stored under the request's key.
pub const SELECT_ACCOUNT_AND_KEY: &str = "SELECT a.snapshot, i.fingerprint, i.response_status, i.response FROM accounts a LEFT JOIN idempotency i ON i.account_id = a.id AND i.key = $2 WHERE a.id = $1";
pub const UPDATE_ACCOUNT: &str = "UPDATE accounts SET version = $1, snapshot = $2, updated_at = $3 WHERE id = $4 AND version = $5";
pub const INSERT_LEDGER: &str = "INSERT INTO ledger (account_id, seq, request_id, policy_version, grp, event, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const INSERT_EXCHANGE: &str =
    "INSERT INTO exchanges_done (account_id, exchange, seq, at) VALUES ($1, $2, $3, $4)";
pub const INSERT_IDEMPOTENCY: &str = "INSERT INTO idempotency (account_id, key, fingerprint, status, response_status, response, created_at) VALUES ($1, $2, $3, 'done', $4, $5, $6)";
pub const INSERT_ACCOUNT: &str = "INSERT INTO accounts (id, version, snapshot, imported, created_at, updated_at) VALUES ($1, $2, $3, $3, $4, $4)";
pub const SELECT_LEDGER: &str =
    "SELECT seq, grp FROM ledger WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub const SELECT_EVENTS: &str =
    "SELECT seq, event FROM ledger WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub const SELECT_IDS: &str = "SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT $2";
pub const SELECT_HISTORY: &str = "SELECT snapshot, imported FROM accounts WHERE id = $1";
pub const SELECT_ALL_LEDGER: &str =
    "SELECT seq, grp FROM ledger WHERE account_id = $1 ORDER BY seq";
pub const SELECT_EXCHANGES: &str =
    "SELECT exchange FROM exchanges_done WHERE account_id = $1 ORDER BY exchange";
pub const PURGE_IDEMPOTENCY: &str = "DELETE FROM idempotency WHERE created_at < $1";
pub const INSERT_SETTING: &str =
    "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
pub const SELECT_SETTING: &str = "SELECT value FROM settings WHERE name = $1";
pub const PURGE_HANDOFFS: &str = "DELETE FROM handoffs WHERE expires_at < $1";
pub const INSERT_HANDOFF: &str = "INSERT INTO handoffs (id, token_sha256, account_id, exchange, from_platform, to_platform, policy_version, quote, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub const SELECT_HANDOFF: &str = "SELECT id, account_id, exchange, from_platform, to_platform, expires_at, used_at FROM handoffs WHERE token_sha256 = $1";
pub const USE_HANDOFF: &str =
    "UPDATE handoffs SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1";

/// Binds a hand-off's fields to [`INSERT_HANDOFF`].
macro_rules! bind_handoff {
    ($h:expr) => {
        sqlx::query($crate::serve::store::sql::INSERT_HANDOFF)
            .bind(&$h.id)
            .bind($crate::serve::handoff::sha256_hex(&$h.token))
            .bind(&$h.account)
            .bind(&$h.exchange)
            .bind(&$h.from_platform)
            .bind(&$h.to_platform)
            .bind(&$h.policy_version)
            .bind(&$h.quote)
            .bind($crate::serve::store::instant_text($h.created_at))
            .bind($crate::serve::store::instant_text($h.expires_at))
    };
}

pub(crate) use bind_handoff;

/// What one attempt of a transaction came to.
pub enum Attempt {
    /// Committed (or nothing to write): the outcome.
    Done(Box<super::Outcome>),
    /// Refused without writing (a fingerprint mismatch, an unknown account, bad input).
    Refused(super::super::error::ApiError),
    /// Lost a race (the version moved, a concurrent insert won): start again.
    Retry,
}

/// A short, growing pause before starting a lost transaction again.
pub async fn backoff(attempt: u32) {
    let ms = u64::from(attempt.min(8)) * 2;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Implements [`Store`](super::Store) for a concrete driver. `$store` provides `begin`,
/// `retryable`, `unique_violation` and `notify`; everything else is shared.
macro_rules! sql_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn attempt(
                &self,
                account: &str,
                idempotency: Option<&$crate::serve::store::Idempotency>,
                now: chrono::DateTime<chrono::Utc>,
                decide: &dyn $crate::serve::store::Decide,
            ) -> Result<$crate::serve::store::sql::Attempt, sqlx::Error> {
                use sqlx::Row;
                use $crate::serve::store::sql::{self, Attempt};
                use $crate::serve::store::{
                    Outcome, StoredAccount, StoredResponse, db_version, instant_text,
                };
                let _turn = self.write_turn().await;
                let mut tx = self.begin().await?;
                let row = sqlx::query(sql::SELECT_ACCOUNT_AND_KEY)
                    .bind(account)
                    .bind(idempotency.map_or("", |i| i.key.as_str()))
                    .fetch_optional(&mut *tx)
                    .await?;
                let stored = match row {
                    None => None,
                    Some(row) => {
                        let fingerprint: Option<String> = row.try_get(1)?;
                        if let (Some(idem), Some(fingerprint)) = (idempotency, fingerprint) {
                            let status: i64 = row.try_get(2)?;
                            let body: String = row.try_get(3)?;
                            tx.rollback().await?;
                            if fingerprint != idem.fingerprint {
                                return Ok(Attempt::Refused(
                                    $crate::serve::error::ApiError::idempotency_mismatch(),
                                ));
                            }
                            return Ok(Attempt::Done(Box::new(Outcome {
                                response: StoredResponse {
                                    status: u16::try_from(status).unwrap_or(200),
                                    body,
                                },
                                replayed: true,
                                written: None,
                                retries: 0,
                            })));
                        }
                        let text: String = row.try_get(0)?;
                        match quotient::Snapshot::from_json(&text) {
                            Ok(snapshot) => Some(StoredAccount { snapshot }),
                            Err(e) => {
                                tx.rollback().await?;
                                return Ok(Attempt::Refused(
                                    $crate::serve::error::ApiError::corrupt(format!(
                                        "the stored snapshot of `{account}` does not read: {e}"
                                    )),
                                ));
                            }
                        }
                    }
                };
                let plan = match decide(stored.as_ref()) {
                    Ok(plan) => plan,
                    Err(e) => {
                        tx.rollback().await?;
                        return Ok(Attempt::Refused(e));
                    }
                };
                let at = instant_text(now);
                if let Some(w) = &plan.write {
                    let text = serde_json::to_string(&w.snapshot)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    let version = db_version(w.snapshot.version)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    let expected = db_version(w.expected_version)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    let done = sqlx::query(sql::UPDATE_ACCOUNT)
                        .bind(version)
                        .bind(&text)
                        .bind(&at)
                        .bind(account)
                        .bind(expected)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(Attempt::Retry);
                    }
                    for (g, ev) in w.groups.iter().zip(&w.events) {
                        let grp = serde_json::to_string(g)
                            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                        let seq = db_version(g.version_after)
                            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                        let r = sqlx::query(sql::INSERT_LEDGER)
                            .bind(account)
                            .bind(seq)
                            .bind(&g.request_id)
                            .bind(&g.policy_version)
                            .bind(&grp)
                            .bind(&ev.payload)
                            .bind(&at)
                            .execute(&mut *tx)
                            .await;
                        if let Err(e) = r {
                            tx.rollback().await?;
                            return if Self::unique_violation(&e) {
                                Ok(Attempt::Retry)
                            } else {
                                Err(e)
                            };
                        }
                    }
                    for (exchange, seq, when) in &w.one_time_exchanges {
                        let seq =
                            db_version(*seq).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                        let r = sqlx::query(sql::INSERT_EXCHANGE)
                            .bind(account)
                            .bind(exchange)
                            .bind(seq)
                            .bind(instant_text(*when))
                            .execute(&mut *tx)
                            .await;
                        if let Err(e) = r {
                            tx.rollback().await?;
                            // The database itself refuses a second one-time exchange: decided
                            // again, the request is refused as already done.
                            return if Self::unique_violation(&e) {
                                Ok(Attempt::Retry)
                            } else {
                                Err(e)
                            };
                        }
                    }
                    self.notify(&mut tx, account, &w.events).await?;
                }
                for h in &plan.handoffs {
                    $crate::serve::store::sql::bind_handoff!(h)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(id) = &plan.use_handoff {
                    let used = sqlx::query(sql::USE_HANDOFF)
                        .bind(&at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if used.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(Attempt::Refused(
                            $crate::serve::error::ApiError::handoff_spent(),
                        ));
                    }
                }
                if let (Some(idem), true) = (idempotency, plan.store_response) {
                    let r = sqlx::query(sql::INSERT_IDEMPOTENCY)
                        .bind(account)
                        .bind(&idem.key)
                        .bind(&idem.fingerprint)
                        .bind(i64::from(plan.response.status))
                        .bind(&plan.response.body)
                        .bind(&at)
                        .execute(&mut *tx)
                        .await;
                    if let Err(e) = r {
                        tx.rollback().await?;
                        // Another server stored this key first: the next attempt replays it.
                        return if Self::unique_violation(&e) {
                            Ok(Attempt::Retry)
                        } else {
                            Err(e)
                        };
                    }
                }
                tx.commit().await?;
                Ok(Attempt::Done(Box::new(Outcome {
                    response: plan.response,
                    replayed: false,
                    written: plan.write,
                    retries: 0,
                })))
            }
        }

        impl $crate::serve::store::Store for $store {
            async fn transact(
                &self,
                account: &str,
                idempotency: Option<&$crate::serve::store::Idempotency>,
                now: chrono::DateTime<chrono::Utc>,
                decide: &dyn $crate::serve::store::Decide,
            ) -> Result<
                Result<$crate::serve::store::Outcome, $crate::serve::error::ApiError>,
                $crate::serve::store::StoreError,
            > {
                use $crate::serve::store::sql::{Attempt, backoff};
                use $crate::serve::store::{MAX_ATTEMPTS, StoreError};
                let mut retries = 0;
                loop {
                    match self.attempt(account, idempotency, now, decide).await {
                        Ok(Attempt::Done(outcome)) => {
                            let mut outcome = *outcome;
                            outcome.retries = retries;
                            return Ok(Ok(outcome));
                        }
                        Ok(Attempt::Refused(e)) => return Ok(Err(e)),
                        Ok(Attempt::Retry) => {}
                        Err(e) if Self::retryable(&e) => {}
                        Err(e) => return Err(StoreError::Database(e)),
                    }
                    retries += 1;
                    if retries >= MAX_ATTEMPTS {
                        return Err(StoreError::Contended(retries));
                    }
                    backoff(retries).await;
                }
            }

            async fn create(
                &self,
                snapshot: &quotient::Snapshot,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::serve::store::StoreError> {
                use $crate::serve::store::{StoreError, db_version, instant_text, sql};
                let text = serde_json::to_string(snapshot)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let _turn = self.write_turn().await;
                let mut tx = self.begin().await?;
                let r = sqlx::query(sql::INSERT_ACCOUNT)
                    .bind(&snapshot.id)
                    .bind(db_version(snapshot.version)?)
                    .bind(&text)
                    .bind(instant_text(now))
                    .execute(&mut *tx)
                    .await;
                match r {
                    Ok(_) => {
                        tx.commit().await?;
                        Ok(true)
                    }
                    Err(e) if Self::unique_violation(&e) => {
                        tx.rollback().await?;
                        Ok(false)
                    }
                    Err(e) => Err(e.into()),
                }
            }

            async fn account(
                &self,
                id: &str,
            ) -> Result<Option<quotient::Snapshot>, $crate::serve::store::StoreError> {
                use sqlx::Row;
                use $crate::serve::store::{StoreError, sql};
                let row = sqlx::query(sql::SELECT_ACCOUNT)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    None => Ok(None),
                    Some(row) => {
                        let text: String = row.try_get(1)?;
                        quotient::Snapshot::from_json(&text)
                            .map(Some)
                            .map_err(|e| StoreError::Corrupt(format!("account `{id}`: {e}")))
                    }
                }
            }

            async fn ledger(
                &self,
                id: &str,
                after: u64,
                limit: u32,
            ) -> Result<Vec<(u64, quotient::ledger::LedgerGroup)>, $crate::serve::store::StoreError>
            {
                use sqlx::Row;
                use $crate::serve::store::{StoreError, db_version, engine_version, sql};
                let rows = sqlx::query(sql::SELECT_LEDGER)
                    .bind(id)
                    .bind(db_version(after)?)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        let seq: i64 = row.try_get(0)?;
                        let text: String = row.try_get(1)?;
                        let group = serde_json::from_str(&text).map_err(|e| {
                            StoreError::Corrupt(format!("ledger of `{id}` at {seq}: {e}"))
                        })?;
                        Ok((engine_version(seq)?, group))
                    })
                    .collect()
            }

            async fn events_after(
                &self,
                id: &str,
                after: u64,
                limit: u32,
            ) -> Result<Vec<$crate::serve::store::Event>, $crate::serve::store::StoreError> {
                use sqlx::Row;
                use $crate::serve::store::{Event, db_version, engine_version, sql};
                let rows = sqlx::query(sql::SELECT_EVENTS)
                    .bind(id)
                    .bind(db_version(after.min(i64::MAX as u64))?)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        let version: i64 = row.try_get(0)?;
                        Ok(Event {
                            version: engine_version(version)?,
                            payload: row.try_get(1)?,
                        })
                    })
                    .collect()
            }

            async fn account_ids(
                &self,
                after: &str,
                limit: u32,
            ) -> Result<Vec<String>, $crate::serve::store::StoreError> {
                use sqlx::Row;
                use $crate::serve::store::sql;
                let rows = sqlx::query(sql::SELECT_IDS)
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| r.try_get(0).map_err(Into::into))
                    .collect()
            }

            async fn history(
                &self,
                id: &str,
            ) -> Result<Option<$crate::serve::store::History>, $crate::serve::store::StoreError>
            {
                use sqlx::Row;
                use $crate::serve::store::{History, StoreError, engine_version, sql};
                let read = |what: &str, text: &str| {
                    quotient::Snapshot::from_json(text)
                        .map_err(|e| StoreError::Corrupt(format!("{what} of `{id}`: {e}")))
                };
                let Some(row) = sqlx::query(sql::SELECT_HISTORY)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let current = read("the snapshot", &row.try_get::<String, _>(0)?)?;
                let imported = read("the imported snapshot", &row.try_get::<String, _>(1)?)?;
                let mut groups = Vec::new();
                for row in sqlx::query(sql::SELECT_ALL_LEDGER)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                {
                    let seq: i64 = row.try_get(0)?;
                    let text: String = row.try_get(1)?;
                    let group = serde_json::from_str(&text).map_err(|e| {
                        StoreError::Corrupt(format!("ledger of `{id}` at {seq}: {e}"))
                    })?;
                    groups.push((engine_version(seq)?, group));
                }
                let exchanges_done = sqlx::query(sql::SELECT_EXCHANGES)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()?;
                Ok(Some(History {
                    id: id.to_string(),
                    imported,
                    current,
                    groups,
                    exchanges_done,
                }))
            }

            async fn purge_idempotency(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::serve::store::StoreError> {
                use $crate::serve::store::{instant_text, sql};
                let done = sqlx::query(sql::PURGE_IDEMPOTENCY)
                    .bind(instant_text(before))
                    .execute(&self.pool)
                    .await?;
                let handoffs = sqlx::query(sql::PURGE_HANDOFFS)
                    .bind(instant_text(before))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() + handoffs.rows_affected())
            }

            async fn setting(
                &self,
                name: &str,
                first: &str,
            ) -> Result<String, $crate::serve::store::StoreError> {
                use sqlx::Row;
                use $crate::serve::store::sql;
                sqlx::query(sql::INSERT_SETTING)
                    .bind(name)
                    .bind(first)
                    .execute(&self.pool)
                    .await?;
                let row = sqlx::query(sql::SELECT_SETTING)
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get(0)?)
            }

            async fn find_handoff(
                &self,
                token_sha256: &str,
            ) -> Result<Option<$crate::serve::handoff::Handoff>, $crate::serve::store::StoreError>
            {
                use sqlx::Row;
                use $crate::serve::store::{StoreError, sql};
                let Some(row) = sqlx::query(sql::SELECT_HANDOFF)
                    .bind(token_sha256)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let instant = |text: String| {
                    chrono::DateTime::parse_from_rfc3339(&text)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|e| StoreError::Corrupt(format!("a hand-off's instant: {e}")))
                };
                Ok(Some($crate::serve::handoff::Handoff {
                    id: row.try_get(0)?,
                    account: row.try_get(1)?,
                    exchange: row.try_get(2)?,
                    from_platform: row.try_get(3)?,
                    to_platform: row.try_get(4)?,
                    expires_at: instant(row.try_get(5)?)?,
                    used_at: row
                        .try_get::<Option<String>, _>(6)?
                        .map(instant)
                        .transpose()?,
                }))
            }
        }
    };
}

pub(crate) use sql_store;
