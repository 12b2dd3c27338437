//! Fuzz target `policy_mutations`: hands libFuzzer's bytes to `quotient_fuzz::policy_mutations::check` and aborts
//! (a finding) when an invariant does not hold. What the check does is in `checks/policy_mutations.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = quotient_fuzz::policy_mutations::check(data) {
        // The fuzzer records the input that makes this panic: it is the finding.
        #[allow(
            clippy::panic,
            reason = "an invariant failed; the panic is the fuzzer's report"
        )]
        {
            panic!("invariant violated: {violation}");
        }
    }
});
