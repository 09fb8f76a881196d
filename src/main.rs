//! The `hardsell` binary: parse the command line, run, map the result to an exit code.

use clap::Parser;

fn main() {
    let cli = hardsell::cli::Cli::parse();
    let code = match hardsell::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hardsell: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
