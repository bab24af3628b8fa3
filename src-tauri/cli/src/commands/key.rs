use std::io::Read;

use clap::Subcommand;
use reverie_engine::keychain::{KeySource, Keychain, env_var};
use secrecy::SecretString;

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Store a provider's API key in the OS keychain, read from standard
    /// input (so it never lands in your shell history).
    Set {
        #[arg(default_value = "anthropic")]
        provider: String,
    },
    /// Say whether a key is available and where from (never prints it).
    Status {
        #[arg(default_value = "anthropic")]
        provider: String,
    },
    /// Remove a provider's key from the keychain.
    Delete {
        #[arg(default_value = "anthropic")]
        provider: String,
    },
}

pub(crate) fn keychain() -> Keychain {
    // Tests point this at their own keychain entry.
    match std::env::var("REVERIE_KEYCHAIN_SERVICE") {
        Ok(service) if !service.is_empty() => Keychain::with_service(service),
        _ => Keychain::default(),
    }
}

pub fn run(ctx: &Context, cmd: KeyCommand) -> anyhow::Result<()> {
    let keychain = keychain();
    match cmd {
        KeyCommand::Set { provider } => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            keychain.set(&provider, &SecretString::from(text))?;
            // The key goes to the address in force now, and nowhere else
            // until that is confirmed (see `key_host`).
            if let Ok(kind) = provider.parse::<reverie_engine::provider::ProviderKind>() {
                let store = ctx.store()?;
                let url = reverie_engine::provider::key_host::url_in_force(store, kind);
                reverie_engine::provider::key_host::bind(store, kind, &url)?;
            }
            tracing::info!(provider, "API key stored in the OS keychain");
            if ctx.json {
                output::json(&serde_json::json!({"provider": provider, "stored": true}))?;
            } else {
                println!("Stored the {provider} key in the OS keychain.");
            }
        }
        KeyCommand::Status { provider } => {
            let resolved = keychain.resolve(&provider)?;
            let (source, hint) = match &resolved {
                Some((key, source)) => (Some(*source), Some(reverie_engine::keychain::hint(key))),
                None => (None, None),
            };
            if ctx.json {
                output::json(
                    &serde_json::json!({"provider": provider, "source": source, "hint": hint}),
                )?;
            } else {
                match source {
                    Some(KeySource::Environment) => println!(
                        "{provider}: using {} from the environment ({}).",
                        env_var(&provider).unwrap_or("the variable"),
                        hint.unwrap_or_default()
                    ),
                    Some(KeySource::Keychain) => {
                        println!(
                            "{provider}: key stored in the OS keychain ({}).",
                            hint.unwrap_or_default()
                        )
                    }
                    None => println!(
                        "{provider}: no key. Add one: reverie key set {provider} < key.txt"
                    ),
                }
            }
        }
        KeyCommand::Delete { provider } => {
            let removed = keychain.delete(&provider)?;
            if ctx.json {
                output::json(&serde_json::json!({"provider": provider, "removed": removed}))?;
            } else if removed {
                println!("Removed the {provider} key from the OS keychain.");
            } else {
                println!("There was no {provider} key in the OS keychain.");
            }
        }
    }
    Ok(())
}
