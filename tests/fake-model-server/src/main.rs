//! `fake-model-server`: the fake model server as its own process, so the CLI
//! and browser tests can be pointed at it (`ANTHROPIC_BASE_URL`,
//! `OPENAI_BASE_URL`). Prints `listening on http://127.0.0.1:PORT` once ready.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use reverie_fake_model::{FakeModelServer, Script};

#[derive(Parser)]
#[command(about = "A scripted Anthropic/OpenAI-compatible model server on 127.0.0.1 for tests")]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A JSON script (see the crate docs); more can be loaded with POST /_fake/script.
    #[arg(long)]
    script: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let script = match &args.script {
        None => Script::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
                fail(&format!("cannot read the script {}: {e}", path.display()))
            });
            serde_json::from_str(&text).unwrap_or_else(|e| {
                fail(&format!("the script {} is not valid: {e}", path.display()))
            })
        }
    };
    let server = FakeModelServer::bind(SocketAddr::from(([127, 0, 0, 1], args.port)), script)
        .await
        .unwrap_or_else(|e| fail(&format!("cannot listen on 127.0.0.1:{}: {e}", args.port)));
    println!("listening on {}", server.url());
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
}

fn fail(message: &str) -> ! {
    eprintln!("fake-model-server: {message}");
    std::process::exit(2);
}
