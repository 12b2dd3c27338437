//! `quotient serve`: the account service. One account state for every platform, kept in a
//! real database (an embedded SQLite file by default, PostgreSQL for several servers), each
//! transition decided by the engine and written exactly once, changes pushed to subscribers.
//! Built on the library's public API alone: the engine decides, the service makes decisions
//! durable and shared.
//!
//! This file starts and stops the server: it loads the policy and the clients, opens the
//! store (applying its migrations), binds, prints `listening on http://HOST:PORT` as its first
//! line, re-reads the policy on SIGHUP, purges old idempotency keys, and on SIGTERM or SIGINT
//! stops accepting and lets in-flight requests finish. Nothing is half-written at any instant:
//! every write is one database transaction.

pub mod audit;
mod auth;
mod clients;
mod clock;
mod error;
mod handoff;
mod metrics;
mod openapi;
mod page;
mod routes;
mod state;
mod store;
mod transition;

use std::io::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use quotient::Limits;

use clients::Clients;
use clock::Clock;
pub use state::ExchangePage;
use state::{App, Settings};
pub use store::postgres::Isolation;
use store::{Backend, Store};

/// Idempotency records are kept at least this long (the issue says 24 h; we keep two days).
const KEEP_IDEMPOTENCY: chrono::Duration = chrono::Duration::hours(48);

/// How a server is started.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The policy file or directory (one policy, any number of versions).
    pub policy: PathBuf,
    /// The clients file.
    pub clients: PathBuf,
    /// The database URL.
    pub db: String,
    /// Where to listen (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: String,
    /// PostgreSQL's isolation level for write transactions.
    pub isolation: Isolation,
    /// A fixed clock for tests, moved with `PUT /v1/admin/clock`.
    pub clock: Option<DateTime<Utc>>,
    /// How long a Desktop hand-off link holds.
    pub handoff_ttl: chrono::Duration,
    /// Where hand-off links lead.
    pub exchange_page: state::ExchangePage,
}

/// Loads the one policy (all its versions) under `path`, or every diagnostic in words.
fn load_policy(path: &PathBuf, limits: &Limits) -> Result<quotient::PolicySet, String> {
    let loaded = quotient::load_paths(std::slice::from_ref(path), limits);
    if loaded.has_errors() {
        return Err(loaded.render_human());
    }
    match loaded.single() {
        Some(set) => Ok(set.clone()),
        None => Err(format!(
            "`{}` holds {} policies; name one policy's file or directory",
            path.display(),
            loaded.policies().len()
        )),
    }
}

/// Runs the server until SIGTERM or SIGINT; the process exit code.
pub fn run(opts: ServeOptions, err: &mut dyn std::io::Write) -> i32 {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QUOTIENT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(serve(opts)) {
        Ok(()) => 0,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            1
        }
    }
}

async fn serve(opts: ServeOptions) -> Result<(), String> {
    let limits = Limits::default();
    let policies = load_policy(&opts.policy, &limits)?;
    let latest = policies
        .latest()
        .ok_or_else(|| "the policy has no version".to_string())?;
    let platforms: Vec<&str> = latest.platforms().map(|p| p.name).collect();
    let clients_text = std::fs::read_to_string(&opts.clients)
        .map_err(|e| format!("cannot read `{}`: {e}", opts.clients.display()))?;
    let clients = Clients::read(
        &opts.clients.display().to_string(),
        &clients_text,
        &platforms,
    )
    .map_err(|problems| problems.join("\n"))?;
    let store = Backend::open(&opts.db, opts.isolation)
        .await
        .map_err(|e| format!("cannot open `{}`: {e}", opts.db))?;
    let clock = opts.clock.map_or(Clock::System, Clock::manual);
    // Quotes are signed with a key every server on this database shares: the first to start
    // makes it.
    let first = handoff::random_hex().ok_or("the operating system gives no randomness")?;
    let secret = store
        .setting("quote_key", &first)
        .await
        .map_err(|e| format!("cannot read the quote key: {e}"))?;
    let quote_key =
        quotient::QuoteKey::new(secret.as_bytes()).ok_or("the stored quote key is too short")?;
    let app = App::new(
        store,
        policies,
        clients,
        clock,
        Settings {
            policy_path: opts.policy.clone(),
            limits,
            handoff_ttl: opts.handoff_ttl,
            exchange_page: opts.exchange_page.clone(),
            quote_key,
        },
    );
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|e| format!("cannot listen on `{}`: {e}", opts.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the address: {e}"))?;
    app.listening_on(&format!("http://{addr}"));
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();

    if let Some(pool) = app.store().postgres_pool().cloned() {
        tokio::spawn(listen_postgres(app.clone(), pool));
    }
    tokio::spawn(purge(app.clone()));
    tokio::spawn(reload_on_hangup(app.clone()));

    axum::serve(listener, routes::router(app))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handling the server still serves; it stops when killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Re-reads the policy on every SIGHUP; a policy that does not load is logged and refused.
async fn reload_on_hangup(app: App) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        match routes::admin::reload_policy(&app) {
            Ok(r) => tracing::warn!(versions = ?r.versions, "policy reloaded on SIGHUP"),
            Err(e) => {
                tracing::error!(error = %e.to_json(), "SIGHUP: policy refused; the old one stays")
            }
        }
    }
}

/// Deletes idempotency records older than [`KEEP_IDEMPOTENCY`], at start and every hour.
async fn purge(app: App) {
    loop {
        let before = app.clock().now() - KEEP_IDEMPOTENCY;
        if let Err(e) = app.store().purge_idempotency(before).await {
            tracing::warn!(error = %e, "purging old idempotency keys failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// On PostgreSQL, hears every server's transitions (this one's too) and pushes them to this
/// server's subscribers. Reconnects after a lost connection, bounded by a pause.
async fn listen_postgres(app: App, pool: sqlx::PgPool) {
    #[derive(serde::Deserialize)]
    struct Note {
        account: String,
        version: u64,
    }
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(store::postgres::CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        loop {
            let note = match listener.recv().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                    break;
                }
            };
            let Ok(note) = serde_json::from_str::<Note>(note.payload()) else {
                continue;
            };
            let events = app
                .store()
                .events_after(&note.account, note.version.saturating_sub(1), 1)
                .await;
            if let Ok(events) = events {
                for e in events.into_iter().filter(|e| e.version == note.version) {
                    app.publish(state::Change {
                        account: note.account.clone(),
                        version: e.version,
                        payload: e.payload,
                    });
                }
            }
        }
    }
}
