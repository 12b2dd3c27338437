//! `quotient audit --db <url> --policy <file|dir>`: replays every account's ledger from the
//! snapshot it was created with and compares the result with the stored snapshot; checks that
//! the ledger's sequence numbers run without a gap to the account's version, that every unit is
//! conserved (what the ledger added less what it took is the change in what the account holds),
//! and that the one-time exchanges the database recorded are exactly those the snapshot has.
//! Prints every difference; exit 1 when there is one.

use std::collections::BTreeSet;
use std::io::Write;

use quotient::Snapshot;

use super::store::postgres::Isolation;
use super::store::{Backend, History, Store};

/// How many account ids are read at a time.
const PAGE: u32 = 500;

/// What is wrong with one account's history, if anything.
pub fn check(history: &History, one_time: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let id = &history.id;
    let groups: Vec<_> = history.groups.iter().map(|(_, g)| g.clone()).collect();
    let mut expected = history.imported.version;
    for (seq, g) in &history.groups {
        expected = expected.saturating_add(1);
        if *seq != expected || g.version_after != *seq {
            out.push(format!(
                "{id}: ledger seq {seq} (group moving {} to {}) where {expected} was next",
                g.version_before, g.version_after
            ));
            break;
        }
    }
    if expected != history.current.version {
        out.push(format!(
            "{id}: the ledger ends at version {expected}, the account is at {}",
            history.current.version
        ));
    }
    match quotient::ledger::replay(&history.imported, &groups) {
        Ok(replayed) if replayed == history.current => {}
        Ok(replayed) => out.push(format!(
            "{id}: replaying the ledger gives another snapshot than the stored one ({})",
            first_difference(&replayed, &history.current)
        )),
        Err(e) => out.push(format!("{id}: the ledger does not replay: {e}")),
    }
    match quotient::ledger::totals(&groups) {
        Err(e) => out.push(format!("{id}: the ledger does not add up: {e}")),
        Ok(totals) => {
            for (unit, t) in &totals {
                let held = |s: &Snapshot| -> quotient::Decimal {
                    s.grants
                        .iter()
                        .filter(|g| &g.unit == unit)
                        .map(|g| g.remaining)
                        .sum()
                };
                let want = t.net().map(|n| held(&history.imported) + n);
                if want != Some(held(&history.current)) {
                    out.push(format!(
                        "{id}: `{unit}` is not conserved: the ledger says {}, the account holds {}",
                        want.map_or("an overflow".into(), |w| w.to_string()),
                        held(&history.current)
                    ));
                }
            }
        }
    }
    let in_snapshot: BTreeSet<&str> = history
        .current
        .exchanges
        .iter()
        .map(|x| x.exchange.as_str())
        .filter(|x| one_time.contains(x))
        .collect();
    let recorded: BTreeSet<&str> = history.exchanges_done.iter().map(String::as_str).collect();
    // Exchanges the account already had when it was imported were never recorded here.
    let imported: BTreeSet<&str> = history
        .imported
        .exchanges
        .iter()
        .map(|x| x.exchange.as_str())
        .collect();
    for x in in_snapshot.difference(&recorded) {
        if !imported.contains(x) {
            out.push(format!(
                "{id}: one-time exchange `{x}` is in the snapshot but not recorded as done"
            ));
        }
    }
    for x in recorded.difference(&in_snapshot) {
        out.push(format!(
            "{id}: one-time exchange `{x}` is recorded as done but not in the snapshot"
        ));
    }
    out
}

/// The first field where two snapshots differ, in a few words.
fn first_difference(a: &Snapshot, b: &Snapshot) -> String {
    if a.version != b.version {
        return format!("version {} vs {}", a.version, b.version);
    }
    if a.mode != b.mode {
        return format!("mode `{}` vs `{}`", a.mode, b.mode);
    }
    if a.grants.len() != b.grants.len() {
        return format!("{} grants vs {}", a.grants.len(), b.grants.len());
    }
    for (x, y) in a.grants.iter().zip(&b.grants) {
        if x != y {
            return format!("grant `{}` vs `{}`", x.id, y.id);
        }
    }
    "exchanges or cycle".into()
}

/// Audits every account in `db`; the exit code.
pub fn run(db: &str, policy: &std::path::Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let loaded = quotient::load_paths(&[policy.to_path_buf()], &quotient::Limits::default());
    let _ = write!(err, "{}", loaded.render_human());
    let Some(set) = loaded.single() else {
        let _ = writeln!(err, "error: `{}` must hold one policy", policy.display());
        return 2;
    };
    let one_time: Vec<String> = set
        .versions()
        .iter()
        .flat_map(|v| {
            v.exchanges()
                .filter(|x| x.one_time)
                .map(|x| x.name.to_string())
        })
        .collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let result: Result<(u64, Vec<String>), String> = runtime.block_on(async {
        let store = Backend::open(db, Isolation::ReadCommitted)
            .await
            .map_err(|e| format!("cannot open `{db}`: {e}"))?;
        let one_time: Vec<&str> = one_time.iter().map(String::as_str).collect();
        let mut after = String::new();
        let mut accounts = 0u64;
        let mut problems = Vec::new();
        loop {
            let ids = store
                .account_ids(&after, PAGE)
                .await
                .map_err(|e| e.to_string())?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            for id in &ids {
                match store.history(id).await {
                    Ok(Some(h)) => problems.extend(check(&h, &one_time)),
                    Ok(None) => {}
                    Err(e) => problems.push(format!("{id}: {e}")),
                }
                accounts += 1;
            }
            after = last;
        }
        Ok((accounts, problems))
    });
    match result {
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            2
        }
        Ok((accounts, problems)) => {
            for p in &problems {
                let _ = writeln!(out, "{p}");
            }
            let _ = writeln!(
                out,
                "audited {accounts} account(s): {} difference(s)",
                problems.len()
            );
            i32::from(!problems.is_empty())
        }
    }
}
