//! The `quotient` binary: hands the arguments to the command line and exits with its code. The
//! command line (`src/cli/`) is part of this binary, not of the library, so it can use only the
//! library's public API, like any embedder.

mod cli;
#[cfg(feature = "serve")]
mod serve;

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let code = cli::run(argv, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
