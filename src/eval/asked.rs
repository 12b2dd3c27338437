//! What a request asks, per kind. The request's serde format is one flat shape for every kind;
//! `check_fields` checks it against its kind (the fields the kind needs are there, and none it
//! would ignore is sent) and hands the evaluator an [`Asked`], which holds only the fields its
//! kind reads. Nothing past this point reads a field of the request that its kind cannot have.
//! The fields every kind shares (id, platform, client version) are still read from the request.

use std::collections::BTreeMap;

use super::error::RequestError;
use super::missing;
use crate::request::{ParamValue, QuoteRef, Request, RequestKind};

/// A request's kind with the fields that kind reads.
pub(super) enum Asked<'r> {
    /// Use `feature` (a name, resolved when the use is decided) with its `params`.
    Use {
        feature: &'r str,
        params: &'r BTreeMap<String, ParamValue>,
    },
    /// Quote `exchange` (`None`: the policy's only one).
    Quote { exchange: Option<&'r str> },
    /// Execute `exchange`, accepting `quote` if one is sent, `confirm`ed or not.
    Exchange {
        exchange: Option<&'r str>,
        quote: Option<&'r QuoteRef>,
        confirm: bool,
    },
    /// Roll the account over.
    Rollover,
    /// Show the balance.
    Balance,
    /// Change the account's time zone to `zone` (a name, checked when decided).
    TimeZone { zone: &'r str },
}

/// Every kind reads some fields and no others; a field it would ignore is an error.
pub(super) fn check_fields(r: &Request) -> Result<Asked<'_>, RequestError> {
    let kind = r.kind;
    if r.id.trim().is_empty() {
        return Err(RequestError::invalid("id", "the request id is empty"));
    }
    let unused = |field: &str| {
        Err(RequestError::invalid(
            field,
            format!("a `{}` request does not use `{field}`", kind.as_str()),
        ))
    };
    let uses_feature = kind == RequestKind::Use;
    let uses_exchange = matches!(kind, RequestKind::Quote | RequestKind::Exchange);
    if r.platform.is_none() && kind != RequestKind::Rollover {
        return Err(missing(kind, "platform"));
    }
    if !uses_feature && r.feature.is_some() {
        return unused("feature");
    }
    if !uses_feature && !r.params.is_empty() {
        return unused("params");
    }
    let asked = match kind {
        RequestKind::Use => match r.feature.as_deref() {
            Some(feature) => Asked::Use {
                feature,
                params: &r.params,
            },
            None => return Err(missing(kind, "feature")),
        },
        RequestKind::Quote => Asked::Quote {
            exchange: r.exchange.as_deref(),
        },
        RequestKind::Exchange => Asked::Exchange {
            exchange: r.exchange.as_deref(),
            quote: r.quote.as_ref(),
            confirm: r.confirm,
        },
        RequestKind::Rollover => Asked::Rollover,
        RequestKind::Balance => Asked::Balance,
        RequestKind::TimeZone => match r.time_zone.as_deref() {
            Some(zone) => Asked::TimeZone { zone },
            None => return Err(missing(kind, "time_zone")),
        },
    };
    if kind != RequestKind::TimeZone && r.time_zone.is_some() {
        return unused("time_zone");
    }
    if !uses_exchange && r.exchange.is_some() {
        return unused("exchange");
    }
    if kind != RequestKind::Exchange && r.quote.is_some() {
        return unused("quote");
    }
    if kind != RequestKind::Exchange && r.confirm {
        return unused("confirm");
    }
    Ok(asked)
}
