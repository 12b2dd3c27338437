//! Errors for input the evaluator cannot decide on: a malformed request, a snapshot that does not
//! fit the policy, an instant outside the account's calendar. Each names the field and says what
//! is wrong; a decision is never made on such input.

use super::validate::SnapshotProblem;
use crate::cycle::CycleError;

/// Why a request could not be decided at all (as opposed to a decision that refuses it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The request is malformed: a missing or unknown field, an unknown name, a bad parameter.
    #[error("request.{field}: {message}")]
    Invalid {
        /// The field, such as `params.video_seconds`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The snapshot does not fit the policy or the instant; every problem is listed, each at
    /// its field path (`account.grants[1].remaining`).
    #[error("the account snapshot cannot be decided on: {}", list(.0))]
    Snapshot(Vec<SnapshotProblem>),
    /// The instant is outside the account's calendar (before its anchor, too far ahead).
    #[error("{}", cycle(.0))]
    Cycle(CycleError),
    /// The policy is one the evaluator cannot use (only possible for a policy built by hand, not
    /// loaded: loading refuses it).
    #[error("the policy cannot be evaluated: {0}")]
    Policy(String),
}

fn list(problems: &[SnapshotProblem]) -> String {
    if problems.is_empty() {
        return "it does not fit the policy".into();
    }
    problems
        .iter()
        .map(|p| format!("account.{p}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A calendar error, naming the snapshot field it comes from when there is one.
fn cycle(e: &CycleError) -> String {
    let instant =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    match e {
        CycleError::BeforeAnchor { at, anchor } => format!(
            "account.anchor: the account's billing starts at {}, after the instant {}; no \
             billing cycle contains it",
            instant(anchor),
            instant(at)
        ),
        CycleError::UnknownTimeZone { .. } => format!("account.time_zone: {e}"),
        CycleError::IndexOutOfRange { .. } | CycleError::CycleOutOfRange { .. } => {
            format!("account.anchor: the instant is too far from the billing anchor: {e}")
        }
        _ => e.to_string(),
    }
}

impl RequestError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        RequestError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// One problem with the snapshot, at its field path (`cycle`, `grants[1].remaining`).
    pub fn snapshot(path: impl Into<String>, message: impl Into<String>) -> Self {
        RequestError::Snapshot(vec![SnapshotProblem {
            path: path.into(),
            message: message.into(),
        }])
    }

    /// A stable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid { .. } => "request.invalid",
            RequestError::Snapshot(_) => "snapshot.invalid",
            RequestError::Cycle(_) => "request.instant_outside_calendar",
            RequestError::Policy(_) => "policy.unsupported",
        }
    }
}
