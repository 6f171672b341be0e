use std::process::ExitCode;

fn main() -> ExitCode {
    mailflow::cli::main()
}
