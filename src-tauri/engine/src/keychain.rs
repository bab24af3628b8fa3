//! API keys, kept only in the OS keychain (Secret Service on Linux, Keychain
//! on macOS, Credential Manager on Windows) under service `reverie`, one
//! entry per provider. `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` override the
//! keychain, as in the official SDKs.
//!
//! This module must never write a key anywhere else: no file, no database,
//! no log. When no keychain is available it says so and stops; there is no
//! plaintext fallback. Keys travel as [`SecretString`], whose `Debug` hides them.

use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result};

pub const SERVICE: &str = "reverie";

/// Where a resolved key came from (shown in Settings, never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySource {
    Environment,
    Keychain,
}

/// The environment variable that overrides a provider's stored key.
pub fn env_var(provider: &str) -> Option<&'static str> {
    match provider {
        "anthropic" => Some("ANTHROPIC_API_KEY"),
        "openai" => Some("OPENAI_API_KEY"),
        _ => None,
    }
}

/// The OS keychain under one service name (tests use their own service).
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    /// Service `reverie`, or `REVERIE_KEYCHAIN_SERVICE` when set (tests
    /// point it at an entry of their own, for every process they start).
    fn default() -> Self {
        let service = std::env::var("REVERIE_KEYCHAIN_SERVICE")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| SERVICE.into());
        Keychain { service }
    }
}

impl Keychain {
    pub fn with_service(service: impl Into<String>) -> Self {
        Keychain {
            service: service.into(),
        }
    }

    fn entry(&self, provider: &str) -> Result<keyring::Entry> {
        check_provider(provider)?;
        keyring::Entry::new(&self.service, provider).map_err(|e| map_error(provider, e))
    }

    pub fn set(&self, provider: &str, key: &SecretString) -> Result<()> {
        let trimmed = key.expose_secret().trim();
        if trimmed.is_empty() {
            return Err(Error::Invalid(
                "the API key is empty; paste the whole key".into(),
            ));
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err(Error::Invalid(
                "the API key contains spaces or line breaks; paste it as one word".into(),
            ));
        }
        self.entry(provider)?
            .set_password(trimmed)
            .map_err(|e| map_error(provider, e))
    }

    pub fn get(&self, provider: &str) -> Result<Option<SecretString>> {
        match self.entry(provider)?.get_password() {
            Ok(key) => Ok(Some(SecretString::from(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(provider, e)),
        }
    }

    /// Removes a stored key; false when there was none.
    pub fn delete(&self, provider: &str) -> Result<bool> {
        match self.entry(provider)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(provider, e)),
        }
    }

    /// The key to use for `provider`: the environment variable if set, else
    /// the keychain. `Ok(None)` when neither has one.
    pub fn resolve(&self, provider: &str) -> Result<Option<(SecretString, KeySource)>> {
        if let Some(var) = env_var(provider) {
            if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
                return Ok(Some((
                    SecretString::from(value.trim().to_string()),
                    KeySource::Environment,
                )));
            }
        }
        Ok(self.get(provider)?.map(|key| (key, KeySource::Keychain)))
    }
}

/// What Settings and `reverie key status` show of a key: its last four
/// characters, never more.
pub fn hint(key: &SecretString) -> String {
    let chars: Vec<char> = key.expose_secret().chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

/// The key for `provider` from the environment or the default keychain.
pub fn resolve_api_key(provider: &str) -> Result<Option<SecretString>> {
    Ok(Keychain::default().resolve(provider)?.map(|(key, _)| key))
}

fn check_provider(provider: &str) -> Result<()> {
    if !provider.is_empty()
        && provider.len() <= 64
        && provider
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "'{provider}' is not a provider name; use e.g. 'anthropic' or 'openai'"
        )))
    }
}

fn map_error(provider: &str, e: keyring::Error) -> Error {
    let hint = env_var(provider)
        .map(|v| format!(" or set {v}"))
        .unwrap_or_default();
    match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            Error::KeychainUnavailable(format!(
                "no OS keychain is available ({inner}); unlock or start your keyring (GNOME Keyring, KWallet, macOS Keychain){hint} — Reverie never keeps keys in a file"
            ))
        }
        other => Error::Keychain(other.to_string()),
    }
}
