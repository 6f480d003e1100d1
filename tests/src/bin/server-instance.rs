//! The server binary's own `main` ([`server::cli::main`]), built by Cargo beside the end-to-end
//! tests so the several-instance tests start real processes of the current code (and can kill
//! them) without a separate build step.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
