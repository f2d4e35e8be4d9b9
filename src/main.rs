//! main: parses the command line, sets up logging, runs etrace and maps errors to one line and
//! a non-zero exit.

use clap::Parser;
use etrace::cli::Cli;

fn main() {
    let cli = Cli::parse();
    let mut log =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if let Some(level) = &cli.log_level {
        log.parse_filters(level);
    }
    log.format_timestamp(None).format_target(false).init();
    // a panic is a bug: said once, in one line (the printer skips a record that panics and goes
    // on, so a traced program that triggers one cannot flood the terminal)
    let told = std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        if !told.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("etrace: internal error (please report it): {info}");
        }
    }));
    let res = match (&cli.generate, &cli.input) {
        (Some(dir), _) => etrace::app::docs::generate(dir).map(|files| {
            for f in files {
                println!("{}", f.display());
            }
            0
        }),
        (None, Some(input)) => etrace::app::replay::run(&cli, input),
        (None, None) => etrace::app::live::run(&cli),
    };
    match res {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("etrace: {e:#}");
            std::process::exit(1);
        }
    }
}
