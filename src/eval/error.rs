//! Errors for input the evaluator cannot decide on: a malformed request, a snapshot that does not
//! fit the policy, an instant outside the account's calendar. Each names the field and says what
//! is wrong; a decision is never made on such input.

use crate::account::SnapshotProblem;
use crate::cycle::CycleError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The request is malformed: a missing or unknown field, an unknown name, a bad parameter.
    #[error("request.{field}: {message}")]
    Invalid { field: String, message: String },
    /// The snapshot does not fit the policy; every problem is listed.
    #[error("the account snapshot does not fit the policy: {}", list(.0))]
    Snapshot(Vec<SnapshotProblem>),
    /// The instant is outside the account's calendar (before its anchor, too far ahead).
    #[error("{0}")]
    Cycle(CycleError),
}

fn list(problems: &[SnapshotProblem]) -> String {
    if problems.is_empty() {
        return "an amount is out of range".into();
    }
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl RequestError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        RequestError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A stable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid { .. } => "request.invalid",
            RequestError::Snapshot(_) => "snapshot.invalid",
            RequestError::Cycle(_) => "request.instant_outside_calendar",
        }
    }
}
