//! Deciding a feature use allocates nothing on the heap: a counting global allocator counts
//! every allocation made on this test's thread while `decide` runs. (Explaining a decision and
//! building its report do allocate; they are not counted here.)

// Tests may unwrap, expect and panic: a failure is the point (Cargo.toml denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use chrono::{DateTime, Utc};
use quotient::Limits;
use quotient::{DecideOptions, Outcome, ParamValue, Request, RequestKind, decide};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// thread-local `Cell` with a const initializer, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

#[test]
fn deciding_a_feature_use_does_not_allocate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = quotient::load_paths(&[root.join("policies/capcut-pro.yaml")], &Limits::default());
    let policy = loaded
        .single()
        .and_then(|s| s.latest())
        .expect("capcut-pro loads");
    let text = std::fs::read_to_string(root.join("examples/accounts/pro-midcycle.json"))
        .expect("sample account");
    let snapshot = quotient::Snapshot::from_json(&text).expect("sample account reads");
    let now: DateTime<Utc> = "2026-04-02T10:00:00Z".parse().expect("instant");
    let options = DecideOptions::default();

    let mut cases = Vec::new();
    for platform in ["web", "desktop", "mobile"] {
        let mut r = Request::new("r-1", RequestKind::Use).on(platform);
        r.client_version = Some("6.2".into());
        r.feature = Some("ai_image_generation".into());
        cases.push(r.clone());
        r.feature = Some("ai_script_to_video".into());
        r.params.insert("video_seconds".into(), ParamValue::Int(95));
        cases.push(r);
    }
    for request in &cases {
        let (decision, count) =
            allocations_during(|| decide(policy, &snapshot, request, now, &options));
        let decision = decision.expect("decides");
        assert_eq!(decision.outcome(), Outcome::Allowed, "{request:?}");
        assert_eq!(count, 0, "deciding {request:?} allocated {count} times");
    }

    // The counter does count: explaining builds a trace on the heap.
    let explain = DecideOptions::explaining(true);
    let (_, count) = allocations_during(|| decide(policy, &snapshot, &cases[0], now, &explain));
    assert!(count > 0, "the counting allocator saw nothing");
}
