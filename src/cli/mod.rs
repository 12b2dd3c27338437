//! The `quotient` command line, on clap's derive API: one `Args` struct and one `run` function per
//! subcommand. All logic lives in the library; these functions only read files, call it, and
//! print. Help and `--version` go to stdout with exit 0; every bad command line (unknown flag,
//! flag given twice, missing value, a value that does not parse) is a short usage error on stderr
//! with exit 2. Results go to stdout; messages for people go to stderr.

#[cfg(feature = "serve")]
mod audit;
mod check;
mod corpus;
mod cycles;
mod diff;
mod eval;
mod explain;
mod expr;
mod input;
#[cfg(feature = "serve")]
mod serve;
mod test;
mod timeline;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::{CommandFactory, Parser, Subcommand};

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: i32 = 0;
    /// The input had errors (a policy that does not check, an expression that fails).
    pub const ERRORS: i32 = 1;
    /// The command line itself was wrong, or a file it names cannot be read.
    pub const USAGE: i32 = 2;
}

/// A policy engine for subscription entitlements.
///
/// Policies are YAML files of units, feature costs, exchanges, platforms and billing cycles, with
/// conditions and amounts written as CEL expressions. Wherever a file is read, `-` reads standard
/// input; `--` ends the options (for an expression that starts with `-`).
#[derive(Parser)]
#[command(
    name = "quotient",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    max_term_width = 100,
    after_help = "Run `quotient <command> --help` for a command's options, `quotient man` for the manual."
)]
pub struct Cli {
    /// When diagnostics are coloured: `auto` on a terminal unless `NO_COLOR` is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColourChoice::Auto)]
    color: ColourChoice,
    #[command(subcommand)]
    command: Command,
}

/// `--color`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColourChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always (for a pager that shows colour).
    Always,
    /// Never.
    Never,
}

/// Whether colour is wanted on a stream that `is_terminal` or not.
fn colour_wanted(choice: ColourChoice, is_terminal: bool) -> bool {
    match choice {
        ColourChoice::Always => true,
        ColourChoice::Never => false,
        ColourChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check policies and print every diagnostic; exit 0 when clean, 1 on errors.
    Check(check::Args),
    /// Evaluate one expression and print its value or its errors.
    Expr(expr::Args),
    /// Print billing-cycle boundaries (half-open: each end is the next start).
    Cycles(cycles::Args),
    /// Decide one request for an account (or a corpus); with --apply, write the new snapshot.
    Eval(eval::Args),
    /// Play a script of requests at instants against one account.
    Timeline(timeline::Args),
    /// Run policy tests (*.test.yaml): failures, rule coverage and `N passed, M failed`.
    Test(test::Args),
    /// Write a deterministic synthetic population of accounts as JSON Lines.
    Corpus(corpus::Args),
    /// What a policy change does to a population of accounts; exit 3 when decisions changed.
    Diff(diff::Args),
    /// Run the account service (SQLite by default, or PostgreSQL).
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Replay every stored account's ledger; exit 1 on any difference.
    #[cfg(feature = "serve")]
    Audit(audit::Args),
    /// Explain a diagnostic code (`E0100` or `unknown-unit`), with a mistake and its fix.
    Explain(explain::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `quotient man | man -l -`.
    Man {
        /// A command's own page (e.g. `eval`), instead of the overview.
        command: Option<String>,
    },
}

/// Runs the command line on `argv` (without the program name) and returns the exit code.
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let subcommand = subcommand_named(&argv);
    let cli = match Cli::try_parse_from(std::iter::once(OsString::from("quotient")).chain(argv)) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, subcommand.as_deref(), out, err),
    };
    input::set_colour(colour_wanted(cli.color, std::io::stderr().is_terminal()));
    let result = match cli.command {
        Command::Check(a) => check::run(a, out, err),
        Command::Expr(a) => expr::run(a, out, err),
        Command::Cycles(a) => cycles::run(a, out, err),
        Command::Eval(a) => eval::run(a, out, err),
        Command::Timeline(a) => timeline::run(a, out, err),
        Command::Test(a) => test::run(a, out, err),
        Command::Corpus(a) => corpus::run(a, out, err),
        Command::Diff(a) => diff::run(a, out, err),
        Command::Explain(a) => explain::run(a, out, err),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(a, out, err),
        #[cfg(feature = "serve")]
        Command::Audit(a) => audit::run(a, out, err),
        Command::Completions { shell } => {
            let mut out = out;
            clap_complete::generate(shell, &mut Cli::command(), "quotient", &mut out);
            Ok(exit::OK)
        }
        Command::Man { command } => {
            let mut overview = Cli::command();
            // Built, so that subcommands carry the propagated version.
            overview.build();
            let page_of = match &command {
                None => Some(overview),
                Some(name) => overview
                    .find_subcommand(name)
                    .map(|c| c.clone().name(format!("quotient-{name}"))),
            };
            let Some(page_of) = page_of else {
                let _ = writeln!(
                    err,
                    "error: no command `{}`; try 'quotient --help'",
                    command.unwrap_or_default()
                );
                return exit::USAGE;
            };
            let mut page = Vec::new();
            match clap_mangen::Man::new(page_of).render(&mut page) {
                Ok(()) => out
                    .write_all(&page)
                    .map(|()| exit::OK)
                    .map_err(|e| format!("cannot write: {e}")),
                Err(e) => Err(format!("cannot render the manual: {e}")),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            exit::USAGE
        }
    }
}

/// The subcommand `argv` names (its first argument, when that is one), for the usage hint.
fn subcommand_named(argv: &[OsString]) -> Option<String> {
    let first = argv.first()?.to_str()?;
    Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == first)
        .then(|| first.to_owned())
}

/// Prints clap's message: help and version on stdout (exit 0), usage errors on stderr (exit 2)
/// ending with the help command to run. Colour only on a terminal, never when `NO_COLOR` is set.
fn usage_error(
    e: &clap::Error,
    subcommand: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let (sink, terminal): (&mut dyn Write, bool) = if e.use_stderr() {
        (err, std::io::stderr().is_terminal())
    } else {
        (out, std::io::stdout().is_terminal())
    };
    let colour = colour_wanted(ColourChoice::Auto, terminal);
    let rendered = e.render();
    let text = if colour {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    let help = match subcommand {
        Some(name) => format!("try 'quotient {name} --help'"),
        None => "try 'quotient --help'".to_owned(),
    };
    let _ = write!(sink, "{}", text.replace("try '--help'", &help));
    if e.use_stderr() {
        exit::USAGE
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
