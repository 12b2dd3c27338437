//! The requests an impact report asks of every account: every feature used on every platform,
//! a quote and a confirmed exchange on every platform for every exchange, and the balance. (The
//! next rollover is asked separately, at the account's next cycle boundary.) Names come from both
//! policy versions, so a feature or platform that one of them lacks shows up as a change.

use std::collections::BTreeSet;

use crate::eval::{Request, RequestKind};
use crate::policy::Policy;

/// The standard requests for comparing `base` with `head`.
pub fn standard(base: &Policy, head: &Policy) -> Vec<Request> {
    let platforms: BTreeSet<&str> = base
        .platforms
        .iter()
        .chain(&head.platforms)
        .map(|p| p.name.as_str())
        .collect();
    let mut features: Vec<&crate::policy::model::Feature> = Vec::new();
    for f in base.features.iter().chain(&head.features) {
        if !features.iter().any(|g| g.name == f.name) {
            features.push(f);
        }
    }
    features.sort_by(|a, b| a.name.cmp(&b.name));
    let exchanges: BTreeSet<&str> = base
        .exchanges
        .iter()
        .chain(&head.exchanges)
        .map(|x| x.name.as_str())
        .collect();
    let mut out = Vec::new();
    for p in &platforms {
        // A version recent enough for any `min_version`: the report is about the policy, not
        // about old clients.
        let version = Some("999.0".to_string());
        for f in &features {
            let mut r = Request::new(format!("use {} on {p}", f.name), RequestKind::Use).on(p);
            r.client_version.clone_from(&version);
            r.feature = Some(f.name.clone());
            for param in &f.params {
                r.params.insert(param.name.clone(), typical_value(param));
            }
            out.push(r);
        }
        for x in &exchanges {
            let mut q = Request::new(format!("quote {x} on {p}"), RequestKind::Quote).on(p);
            q.client_version.clone_from(&version);
            q.exchange = Some((*x).to_string());
            out.push(q);
            let mut e = Request::new(format!("exchange {x} on {p}"), RequestKind::Exchange).on(p);
            e.client_version.clone_from(&version);
            e.exchange = Some((*x).to_string());
            e.confirm = true;
            out.push(e);
        }
        let mut b = Request::new(format!("balance on {p}"), RequestKind::Balance).on(p);
        b.client_version = version;
        out.push(b);
    }
    out
}

use crate::eval::typical_value;
