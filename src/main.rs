//! The `quotient` binary: hands the arguments to the library's CLI and exits with its code.

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = quotient::cli::run(argv, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
