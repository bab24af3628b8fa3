//! `reverie`: Reverie's engine without a window, for scripts and servers.
//!
//! Every command takes `--data-dir` (or `REVERIE_DATA_DIR`) and `--json`
//! where it prints data. Exit codes are stable so scripts can rely on them:
//! 0 success, 1 failure, 2 bad usage, 3 not found, 4 conflict, 5 data folder
//! refused (newer schema, damaged or unreadable), 6 no OS keychain.

// `println!`, `print!` and `eprintln!` everywhere in this crate go through
// `output`, which never panics on a closed pipe (see its module doc).
macro_rules! println {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use clap::{Parser, Subcommand};
use reverie_engine::data_dir::Opened;
use reverie_engine::{Error, Store};

#[derive(Parser)]
#[command(
    name = "reverie",
    version,
    about = "Run Claude agents that improve themselves: sessions, memory, dreams, rubrics.",
    after_help = "Exit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 conflict, 5 data folder refused, 6 no keychain.\n\
                  Model access: ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY and OPENAI_BASE_URL / OPENAI_API_KEY override settings and the keychain."
)]
struct Cli {
    /// The data folder (default: the platform's app-data directory).
    #[arg(long, global = true, env = "REVERIE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, list, show and delete agents; manage a coordinator's roster.
    #[command(subcommand)]
    Agent(commands::agent::AgentCommand),
    /// Read and write an agent's memory store, with full version history.
    #[command(subcommand)]
    Memory(commands::memory::MemoryCommand),
    /// Run an agent on a task; the answer streams to the terminal.
    Run(commands::run::RunArgs),
    /// List sessions, show one session's events, import sessions from other tools, export one.
    #[command(subcommand)]
    Session(commands::session::SessionCommand),
    /// Serve the engine's API on loopback for the web UI in a browser.
    Serve(commands::serve::ServeArgs),
    /// Store API keys in the OS keychain (never in a file).
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Review an agent's recent sessions into a memory proposal; list, show, apply, reject, revert dreams.
    Dream(commands::dream::DreamArgs),
    /// An agent's evaluation set and the regression gate of its dreams.
    #[command(subcommand)]
    Eval(commands::eval::EvalCommand),
    /// Run the dream scheduler without a window, until Ctrl-C.
    Daemon(commands::daemon::DaemonArgs),
    /// Create, import, export, list and try rubrics.
    #[command(subcommand)]
    Rubric(commands::rubric::RubricCommand),
    /// How graded runs went: pass rates per rubric and agent, by day.
    #[command(subcommand)]
    Outcomes(commands::outcomes::OutcomesCommand),
    /// The Claude Managed Agents bridge (off until enabled): push and pull
    /// memory, upload sessions, dream through the Dreams API.
    #[command(subcommand)]
    Managed(commands::managed::ManagedCommand),
}

/// What a command needs: the open store and how to print. The data folder
/// is opened once, on first use, by the engine's one start-up function
/// (`data_dir::open`); commands share its `Arc<Store>` and never open the
/// database again.
pub struct Context {
    pub data_dir: PathBuf,
    pub json: bool,
    opened: std::cell::OnceCell<Opened>,
}

impl Context {
    /// The open data folder and what starting up repaired.
    pub fn opened(&self) -> Result<&Opened, Error> {
        if let Some(opened) = self.opened.get() {
            return Ok(opened);
        }
        let opened = reverie_engine::data_dir::open(&self.data_dir)?;
        Ok(self.opened.get_or_init(|| opened))
    }

    pub fn store(&self) -> Result<&Arc<Store>, Error> {
        Ok(&self.opened()?.store)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = match reverie_engine::data_dir::resolve(cli.data_dir) {
        Ok(dir) => dir,
        Err(e) => return fail(&e.into()),
    };
    output::init_logging(&data_dir);
    let ctx = Context {
        data_dir,
        json: cli.json,
        opened: std::cell::OnceCell::new(),
    };
    let result = match cli.command {
        Command::Agent(cmd) => commands::agent::run(&ctx, cmd),
        Command::Memory(cmd) => commands::memory::run(&ctx, cmd),
        Command::Run(args) => commands::run::run(&ctx, args),
        Command::Session(cmd) => commands::session::run(&ctx, cmd),
        Command::Key(cmd) => commands::key::run(&ctx, cmd),
        Command::Serve(args) => commands::serve::run(&ctx, args),
        Command::Dream(args) => commands::dream::run(&ctx, args),
        Command::Eval(cmd) => commands::eval::run(&ctx, cmd),
        Command::Daemon(args) => commands::daemon::run(&ctx, args),
        Command::Rubric(cmd) => commands::rubric::run(&ctx, cmd),
        Command::Outcomes(cmd) => commands::outcomes::run(&ctx, cmd),
        Command::Managed(cmd) => commands::managed::run(&ctx, cmd),
    };
    match result {
        // A reader that left early (`| head`) is not a failure; a full disk is.
        Ok(()) => match output::stdout_failure() {
            Some(why) => fail(&anyhow::anyhow!(
                "the output could not be written ({why}); the command itself finished"
            )),
            None => ExitCode::SUCCESS,
        },
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    let text = format!("{error:#}");
    let text = reverie_engine::redact::mask_url_credentials(&text);
    tracing::warn!(error = %text, "command failed");
    eprintln!("reverie: {text}");
    ExitCode::from(exit_code(error))
}

fn exit_code(error: &anyhow::Error) -> u8 {
    match error.downcast_ref::<Error>() {
        Some(Error::NotFound { .. }) => 3,
        Some(Error::Conflict(_)) => 4,
        Some(Error::SchemaTooNew { .. } | Error::Corrupt { .. } | Error::Io { .. }) => 5,
        Some(Error::KeychainUnavailable(_)) => 6,
        Some(Error::Invalid(_)) => 2,
        _ => 1,
    }
}
