//! Every bound on work that a user controls, in one place with documented defaults.
//!
//! Policies and requests come from people and programs we do not control; each loop, recursion
//! and allocation they can drive is capped here, so a hostile or mistaken input gets a clear
//! error instead of a hang, a stack overflow or an exhausted heap.

/// The most units a policy can have: balances are kept in a fixed array of this size, so
/// `Limits::max_units` cannot go above it.
pub const MAX_UNITS: usize = 16;

/// The most parameters one feature may declare and a request may send (the evaluator binds
/// them into a fixed array of this size).
pub const MAX_PARAMS: usize = 16;

/// The most exchanges a policy may declare: which exchanges an account has done is one bit
/// each in a 64-bit set.
pub const MAX_EXCHANGES: usize = 64;

/// The most comprehension variables the expression interpreter keeps in its fixed frame (the
/// checker refuses deeper nesting first, through `Limits::max_comprehension_nesting`).
pub const MAX_LOCALS: usize = 8;

/// The most grants one snapshot may hold: a snapshot with more is refused at validation, so
/// burn-down, rollover and apply work over a bounded list.
pub const MAX_GRANTS: usize = 10_000;

/// Most cycles one rollover catches up (ten years of monthly cycles).
pub const MAX_CATCH_UP_CYCLES: i64 = 120;

/// The highest cycle index the calendar computes (8 333 years of monthly cycles).
pub const MAX_CYCLE_INDEX: i64 = 100_000;

/// Largest account snapshot, request or timeline script read from text, in bytes (16 MiB: an
/// account at the grant limit is about 3 MiB). Larger documents are refused before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// Most earlier time zones a snapshot keeps. A zone is kept while it decides a bound still in
/// use: the start of the current cycle, its end, or the end of the next (where a grant made
/// this cycle may expire). Those are three boundaries, so a change of zone drops the older ones.
pub const MAX_EARLIER_TIME_ZONES: usize = 3;

/// The most cycles `Calendar::boundaries` returns in one call (a century of monthly cycles).
pub const MAX_BOUNDARIES: usize = 1_200;

/// Most lines of a hook's `print`/`debug` output kept from one call.
pub const MAX_PRINTED: usize = 20;

/// Most steps one timeline script may play (after `repeat`s are counted).
pub const MAX_STEPS: usize = 10_000;

/// Most test files one `quotient test` run reads.
pub const MAX_TEST_FILES: usize = 1_000;

/// Most accounts one synthetic corpus may hold.
pub const MAX_ACCOUNTS: u64 = 100_000_000;

/// Most draws the corpus generator makes for one account before it leaves it out.
pub const MAX_DRAWS: usize = 16;

/// Example accounts an impact report keeps per kind of change.
pub const EXAMPLES_PER_GROUP: usize = 3;

/// Bounds applied while loading policies and evaluating expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest expression text, in bytes. Default 4096.
    pub max_expr_len: usize,
    /// Deepest nesting of brackets, `?:` and prefix operators the parser will descend into.
    /// Checked before parsing, so the recursive-descent parser cannot overflow the stack.
    /// Default 32.
    pub max_expr_nesting: usize,
    /// Tallest expression tree after parsing (long operator chains count too). Default 100.
    pub max_ast_depth: u32,
    /// Largest policy file, in bytes. Default 1 MiB.
    pub max_policy_bytes: usize,
    /// Most files read from one policy directory. Default 256.
    pub max_policy_files: usize,
    /// Most units one policy may declare (balances are kept in a fixed array, so at most 16
    /// whatever this says). Default 16.
    pub max_units: usize,
    /// Most elements a list or map built while evaluating may hold. Default 10 000.
    pub max_collection_len: usize,
    /// Longest text built while evaluating, in bytes. Default 64 KiB.
    pub max_string_len: usize,
    /// Largest compiled regular expression, in bytes of automaton. Default 1 MiB.
    pub max_regex_size: usize,
    /// Largest regular expression built while evaluating (a `matches` pattern that is not a
    /// literal), in bytes of automaton: far smaller than a literal's, since it may be compiled
    /// on every evaluation. Default 32 KiB.
    pub max_dynamic_regex_size: usize,
    /// Longest pattern text of a regular expression built while evaluating. Default 256 bytes.
    pub max_dynamic_regex_len: usize,
    /// Most comprehension variables in scope at once (`all`, `map`, ... nested). Default 8.
    pub max_comprehension_nesting: usize,
    /// Most steps one expression evaluation may take (every node visited, every comprehension
    /// iteration). Default 100 000.
    pub max_eval_steps: u32,
    /// Most operations one rhai hook call may run (each statement, expression and loop turn
    /// counts). Default 50 000, well under a millisecond.
    pub hook_max_operations: u64,
    /// Deepest function-call nesting in a hook (recursion). Default 16.
    pub hook_max_call_levels: usize,
    /// Deepest expression nesting in a hook, checked when it compiles. Default 32.
    pub hook_max_expr_depth: usize,
    /// Longest string a hook may build, in bytes. Default 4096.
    pub hook_max_string_len: usize,
    /// Most elements an array built by a hook may hold. Default 1000.
    pub hook_max_array_len: usize,
    /// Most entries a map built by a hook may hold. Default 100.
    pub hook_max_map_len: usize,
    /// Longest hook script, in bytes. Default 64 KiB.
    pub hook_max_script_len: usize,
}

impl Limits {
    /// The documented defaults.
    pub const DEFAULT: Limits = Limits {
        max_expr_len: 4096,
        max_expr_nesting: 32,
        max_ast_depth: 100,
        max_policy_bytes: 1 << 20,
        max_policy_files: 256,
        max_units: 16,
        max_collection_len: 10_000,
        max_string_len: 64 * 1024,
        max_regex_size: 1 << 20,
        max_dynamic_regex_size: 32 * 1024,
        max_dynamic_regex_len: 256,
        max_comprehension_nesting: 8,
        max_eval_steps: 100_000,
        hook_max_operations: 50_000,
        hook_max_call_levels: 16,
        hook_max_expr_depth: 32,
        hook_max_string_len: 4096,
        hook_max_array_len: 1000,
        hook_max_map_len: 100,
        hook_max_script_len: 64 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
