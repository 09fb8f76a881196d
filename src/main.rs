//! The `hardsell` binary: parse the command line, run, map the result to an exit code.

use clap::Parser;

fn main() {
    let cli = hardsell::cli::Cli::parse();
    let code = match hardsell::app::run(cli) {
        Ok(code) => code,
        // Output piped into a reader that stopped early (`| head`): it has what it wanted.
        Err(e) if e.is_closed_pipe() => hardsell::error::EXIT_OK,
        Err(e) => {
            hardsell::report::to_stderr(&format!("hardsell: {e}"));
            e.exit_code()
        }
    };
    std::process::exit(code);
}
