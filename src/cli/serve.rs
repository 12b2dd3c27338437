//! `quotient serve --policy <file|dir> --clients <file> [--db <url>] [--listen <addr>]
//! [--isolation read-committed|serializable] [--clock <instant>]`:
//! run the account service. `--db` defaults to `sqlite://quotient.db` (created and migrated on
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
        },
        err,
    );
    Ok(if code == 0 { exit::OK } else { exit::ERRORS })
}
