//! Stable diagnostic codes. A code never changes meaning once released; new problems get new codes.

macro_rules! codes {
    ($($variant:ident = $num:literal, $name:literal, $doc:literal;)*) => {
        /// A stable identifier for a kind of problem, like `E0100 unknown-unit`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// The numbered form, e.g. `E0100`.
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $num,)* }
            }

            /// The kebab-case name, e.g. `unknown-unit`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Every code, for documentation.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// One line saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    Io = "E0001", "unreadable-file", "a policy file or directory could not be read";
    YamlSyntax = "E0002", "yaml-syntax", "the file is not valid YAML";
    UnknownKey = "E0003", "unknown-key", "a key the policy format does not know";
    MissingKey = "E0004", "missing-key", "a required key is absent";
    WrongType = "E0005", "wrong-type", "a value has the wrong shape (text, number, list, mapping)";
    InvalidValue = "E0006", "invalid-value", "a value is not one of the allowed words or forms";
    DuplicateName = "E0007", "duplicate-name", "two things of one kind share a name";
    InvalidInstant = "E0008", "invalid-instant", "a date-time or duration cannot be read";
    InvalidAmount = "E0009", "invalid-amount", "an amount is not an exact decimal number that fits its unit";
    VersionConflict = "E0010", "version-conflict", "two versions of one policy take effect at the same instant";
    EmptyPolicy = "E0011", "empty-policy", "a policy declares nothing to decide with";
    OverLimit = "E0012", "over-limit", "a policy declares more of something than the evaluator can hold (units, parameters, exchanges)";
    YamlUnclosed = "E0013", "yaml-unclosed", "a YAML quote or flow `[`/`{` is never closed (reported at the opener)";
    YamlMismatched = "E0014", "yaml-mismatched-bracket", "a YAML flow `[` or `{` is closed by the other kind of bracket";

    UnknownUnit = "E0100", "unknown-unit", "a unit that the policy does not declare";
    UnknownPlan = "E0101", "unknown-plan", "a plan that the policy does not declare";
    UnknownFeature = "E0102", "unknown-feature", "a feature that the policy does not declare";
    UnknownPlatform = "E0103", "unknown-platform", "a platform that the policy does not declare";
    UnknownExchange = "E0104", "unknown-exchange", "an exchange that the policy does not declare";
    UnknownMode = "E0105", "unknown-mode", "a mode that no plan grants an allowance for";

    ExprSyntax = "E0200", "expr-syntax", "an expression cannot be parsed";
    ExprTooDeep = "E0201", "expr-too-deep", "an expression nests deeper than the limit";
    ExprTooLong = "E0202", "expr-too-long", "an expression is longer than the limit";
    UnknownName = "E0203", "unknown-name", "an expression names a variable that is not in scope";
    UnknownField = "E0204", "unknown-field", "an expression selects a field that does not exist";
    UnknownFunction = "E0205", "unknown-function", "an expression calls a function that does not exist";
    TypeMismatch = "E0206", "type-mismatch", "an operator or function gets values of the wrong type";
    UnitMismatch = "E0207", "unit-mismatch", "amounts of two different units are combined";
    WrongArity = "E0208", "wrong-arity", "a function gets the wrong number of arguments";
    BadLiteral = "E0209", "bad-literal", "a number or text literal is malformed or out of range";
    BadRegex = "E0210", "bad-regex", "a regular expression cannot be compiled";
    WrongResultType = "E0211", "wrong-result-type", "an expression's value has the wrong type for where it is used";
    Unsupported = "E0212", "unsupported", "a CEL construct this engine does not support";
    UnclosedDelimiter = "E0213", "unclosed-delimiter", "an expression's `(`, `[`, `{` or quote is never closed (reported at the opener)";
    MismatchedDelimiter = "E0214", "mismatched-delimiter", "an expression's bracket is closed by another kind of bracket (`(]`)";
    EvalFailed = "E0250", "eval-error", "an expression failed while being evaluated";

    BadRatio = "E0300", "bad-ratio", "an exchange ratio is malformed, zero or negative";
    RatioUnitMismatch = "E0301", "ratio-unit-mismatch", "a ratio names units other than the exchange's";
    ConversionGivesNothing = "E0302", "conversion-gives-nothing", "the conversion rounds a full allowance down to nothing";
    UnknownPlaceholder = "E0303", "unknown-placeholder", "an offer text names a placeholder that does not exist";
    HandOffLoop = "E0304", "hand-off-loop", "a platform delegates the exchange to one that cannot execute it";

    HookSyntax = "E0400", "hook-syntax", "a hook's rhai script does not compile (syntax, unknown variable, a limit)";
    UnknownHook = "E0401", "unknown-hook", "a rule names a hook that the policy does not declare";
    HookResultType = "E0402", "hook-result-type", "a hook is used where a value of another type is expected";
    HookScriptFile = "E0403", "hook-script-file", "a hook's script file cannot be read";
    HookUnknownProperty = "E0404", "hook-unknown-property", "a hook reads a property its inputs do not have (`account.cyclzx`)";
}
