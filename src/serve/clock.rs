//! The service's clock: the machine's, or (for tests, `--clock <instant>`) one that stands
//! still until an admin moves it (`PUT /v1/admin/clock`). The engine never reads a clock; the
//! service reads this one once per request and decides everything in that request at that
//! instant.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, Utc};

/// Where "now" comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// A clock that only moves when set.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A clock standing at `at`.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    /// The instant now.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            // Whole milliseconds: what the service records and answers stays readable.
            Clock::System => DateTime::<Utc>::from(std::time::SystemTime::now()).trunc_subsecs(3),
            Clock::Manual(t) => *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock to `at`; `false` for the machine's clock, which cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) -> bool {
        match self {
            Clock::System => false,
            Clock::Manual(t) => {
                *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
                true
            }
        }
    }
}
