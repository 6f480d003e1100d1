//! The `server` binary: [`server::cli`] (settings, logging, serving until Ctrl-C or SIGTERM).

fn main() -> std::process::ExitCode {
    server::cli::main()
}
