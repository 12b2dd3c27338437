//! `quotient serve --policy <file|dir> --clients <file> [--db <url>] [--listen <addr>]
//! [--isolation read-committed|serializable] [--handoff-ttl <minutes>]
//! [--exchange-page policy|self|<url>] [--clock <instant>]`: run the account service. `--db` defaults to `sqlite://quotient.db` (created and migrated on
//! first start); `--listen` to `127.0.0.1:8080` (port 0 picks a free one). `--clock` starts a
//! test server on a clock that only moves through `PUT /v1/admin/clock`.

use std::io::Write;
use std::path::PathBuf;

use super::input::instant;
use super::{Args, exit};
use crate::serve::{ServeOptions, run as serve};

pub fn run(args: &mut Args, _out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let policy = args
        .value("policy")?
        .ok_or("`serve` needs `--policy <file or dir>`")?;
    let clients = args
        .value("clients")?
        .ok_or("`serve` needs `--clients <file>`")?;
    let db = args
        .value("db")?
        .unwrap_or_else(|| "sqlite://quotient.db".to_string());
    let listen = args
        .value("listen")?
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let isolation = match args.value("isolation")?.as_deref() {
        None | Some("read-committed") => crate::serve::Isolation::ReadCommitted,
        Some("serializable") => crate::serve::Isolation::Serializable,
        Some(other) => {
            return Err(format!(
                "unknown isolation `{other}`: use `read-committed` or `serializable`"
            ));
        }
    };
    let handoff_ttl = match args.value("handoff-ttl")? {
        None => chrono::Duration::minutes(10),
        Some(m) => match m.parse::<i64>() {
            Ok(m) if (1..=24 * 60).contains(&m) => chrono::Duration::minutes(m),
            _ => {
                return Err(format!(
                    "`--handoff-ttl` is minutes from 1 to 1440, found `{m}`"
                ));
            }
        },
    };
    let exchange_page = match args.value("exchange-page")?.as_deref() {
        None | Some("policy") => crate::serve::ExchangePage::Policy,
        Some("self") => crate::serve::ExchangePage::Itself,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            crate::serve::ExchangePage::Url(url.to_string())
        }
        Some(other) => {
            return Err(format!(
                "`--exchange-page` is `policy`, `self` or an http(s) URL, found `{other}`"
            ));
        }
    };
    let clock = match args.value("clock")? {
        Some(t) => Some(instant("clock", &t)?),
        None => None,
    };
    std::mem::replace(args, Args::new(Vec::new())).finish()?;
    let code = serve(
        ServeOptions {
            policy: PathBuf::from(policy),
            clients: PathBuf::from(clients),
            db,
            listen,
            isolation,
            clock,
            handoff_ttl,
            exchange_page,
        },
        err,
    );
    Ok(if code == 0 { exit::OK } else { exit::ERRORS })
}
