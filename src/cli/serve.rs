//! `quotient serve --policy <file|dir> --clients <file> [--db <url>] [--listen <addr>]
//! [--isolation read-committed|serializable] [--handoff-ttl <minutes>]
//! [--exchange-page policy|self|<url>] [--clock <instant>]`: run the account service. `--db` defaults to `sqlite://quotient.db` (created and migrated on
//! first start); `--listen` to `127.0.0.1:8080` (port 0 picks a free one). `--clock` starts a
//! test server on a clock that only moves through `PUT /v1/admin/clock`.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::exit;
use super::input;
use crate::serve::{ExchangePage, Isolation, ServeOptions, run as serve};

/// Options of `quotient serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy file or directory (re-read on SIGHUP and on POST /v1/admin/reload).
    #[arg(long, value_name = "PATH")]
    policy: PathBuf,
    /// The clients file: each client's name, SHA-256 of its API key, and platform or admin.
    #[arg(long, value_name = "FILE")]
    clients: PathBuf,
    /// The database: sqlite://FILE (created and migrated on first start) or postgres://...
    #[arg(long, value_name = "URL", default_value = "sqlite://quotient.db")]
    db: String,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The transaction isolation of PostgreSQL transitions.
    #[arg(long, value_enum, default_value_t = IsolationArg::ReadCommitted)]
    isolation: IsolationArg,
    /// How long a Desktop hand-off link lives, in minutes (1 to 1440).
    #[arg(long, value_name = "MINUTES", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=1440))]
    handoff_ttl: i64,
    /// Where a hand-off opens the exchange: `policy` (the policy's URL), `self` (this server's
    /// page) or an http(s) URL.
    #[arg(long, value_name = "WHERE", default_value = "policy", value_parser = exchange_page)]
    exchange_page: ExchangePage,
    /// Run on a test clock that starts here and moves only through PUT /v1/admin/clock.
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    clock: Option<DateTime<Utc>>,
}

/// `--isolation`, as the command line names it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum IsolationArg {
    /// READ COMMITTED; a compare-and-set on the account version guards every write.
    ReadCommitted,
    /// SERIALIZABLE (as CockroachDB runs); serialization failures are retried.
    Serializable,
}

/// `--exchange-page`: `policy`, `self` or an http(s) URL.
fn exchange_page(text: &str) -> Result<ExchangePage, String> {
    match text {
        "policy" => Ok(ExchangePage::Policy),
        "self" => Ok(ExchangePage::Itself),
        url if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(ExchangePage::Url(url.to_string()))
        }
        other => Err(format!(
            "expected `policy`, `self` or an http(s) URL, found `{other}`"
        )),
    }
}

pub fn run(args: Args, _out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let code = serve(
        ServeOptions {
            policy: args.policy,
            clients: args.clients,
            db: args.db,
            listen: args.listen,
            isolation: match args.isolation {
                IsolationArg::ReadCommitted => Isolation::ReadCommitted,
                IsolationArg::Serializable => Isolation::Serializable,
            },
            clock: args.clock,
            handoff_ttl: chrono::Duration::minutes(args.handoff_ttl),
            exchange_page: args.exchange_page,
        },
        err,
    );
    Ok(if code == 0 { exit::OK } else { exit::ERRORS })
}
