//! Where a key saved in the keychain may be sent. A key is bound to the
//! address (scheme, host and port) in force when it was saved, or to one
//! the person later confirmed; a provider whose address was changed to
//! another host does not get the keychain key until that is confirmed
//! ("your key will be sent to HOST"). So whoever manages to change a
//! setting cannot redirect the key to a server of their own.
//!
//! A key from the environment (`ANTHROPIC_API_KEY`) is the person's own
//! choice for this process and is not checked. Keys saved before this rule
//! existed count as saved for the provider's public address.
//!
//! This module only records and compares origins; the keychain holds keys.

use super::{ProviderError, ProviderKind, Settings};
use crate::Result;

/// The setting that holds the origin a provider's keychain key is bound to.
pub fn setting(kind: ProviderKind) -> String {
    format!("provider.{}.key_host", kind.as_str())
}

/// `https://api.anthropic.com` for `https://api.anthropic.com/v1/`; `None`
/// when the text is not a URL.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url.trim()).ok()?;
    parsed.host_str()?;
    Some(parsed.origin().ascii_serialization())
}

/// The base URL requests go to now: the environment, else Settings, else
/// the provider's public address.
pub fn url_in_force(store: &dyn Settings, kind: ProviderKind) -> String {
    std::env::var(kind.base_url_var())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            store
                .setting(&crate::provider::configured::base_url_setting(kind))
                .ok()
                .flatten()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| kind.default_base_url().to_string())
}

/// The origins the keychain key may go to: the one in force when it was
/// saved, then each one the person confirmed since.
pub fn allowed_origins(store: &dyn Settings, kind: ProviderKind) -> Vec<String> {
    match store.setting(&setting(kind)).ok().flatten() {
        Some(list) if !list.trim().is_empty() => {
            list.split_whitespace().map(str::to_string).collect()
        }
        _ => origin_of(kind.default_base_url()).into_iter().collect(),
    }
}

/// A key was just saved: it may go to `url`'s origin, and only there.
pub fn bind(store: &dyn Settings, kind: ProviderKind, url: &str) -> Result<()> {
    match origin_of(url) {
        Some(origin) => store.set_setting(&setting(kind), &origin),
        None => Ok(()),
    }
}

/// The person confirmed that the key may also go to `url`'s origin.
pub fn allow(store: &dyn Settings, kind: ProviderKind, url: &str) -> Result<()> {
    let Some(origin) = origin_of(url) else {
        return Ok(());
    };
    let mut origins = allowed_origins(store, kind);
    if !origins.contains(&origin) {
        origins.push(origin);
    }
    store.set_setting(&setting(kind), &origins.join(" "))
}

/// The host a keychain key would newly be sent to if `url` became the
/// provider's address, or `None` when it already may go there.
pub fn needs_confirmation(store: &dyn Settings, kind: ProviderKind, url: &str) -> Option<String> {
    let url = if url.trim().is_empty() {
        kind.default_base_url()
    } else {
        url
    };
    let origin = origin_of(url)?;
    (!allowed_origins(store, kind).contains(&origin)).then_some(origin)
}

/// Refuses to send the keychain key to an address it was not saved or
/// confirmed for.
pub fn check(
    store: &dyn Settings,
    kind: ProviderKind,
    url: &str,
) -> std::result::Result<(), ProviderError> {
    match needs_confirmation(store, kind, url) {
        None => Ok(()),
        Some(host) => Err(ProviderError::Keychain {
            detail: format!(
                "the {} key saved in Settings may only go to {}, so it is not sent to {host}: confirm the new address in Settings (or run `reverie key set {}` again) to use it there",
                match kind {
                    ProviderKind::Anthropic => "Anthropic",
                    ProviderKind::OpenAi => "OpenAI-compatible",
                },
                allowed_origins(store, kind).join(" or "),
                kind.as_str()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn origins_ignore_paths_and_default_ports() {
        assert_eq!(
            origin_of("https://api.anthropic.com/v1/").as_deref(),
            Some("https://api.anthropic.com")
        );
        assert_eq!(
            origin_of("HTTPS://API.anthropic.com:443").as_deref(),
            Some("https://api.anthropic.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/v1").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_ne!(
            origin_of("http://api.anthropic.com"),
            origin_of("https://api.anthropic.com")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn a_new_host_needs_confirmation_until_bound() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let kind = ProviderKind::Anthropic;
        assert_eq!(
            needs_confirmation(&store, kind, "https://api.anthropic.com/"),
            None
        );
        assert_eq!(needs_confirmation(&store, kind, ""), None);
        assert_eq!(
            needs_confirmation(&store, kind, "http://evil.example:8080/x").as_deref(),
            Some("http://evil.example:8080")
        );
        let err = check(&store, kind, "http://evil.example:8080")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("may only go to https://api.anthropic.com"),
            "{err}"
        );
        assert!(
            err.contains("not sent to http://evil.example:8080"),
            "{err}"
        );
        allow(&store, kind, "http://gateway.example:8080/v1").unwrap();
        assert!(check(&store, kind, "http://gateway.example:8080").is_ok());
        assert!(check(&store, kind, "https://api.anthropic.com").is_ok());
        assert!(check(&store, kind, "http://evil.example:8080").is_err());
        // A key saved anew goes only where it was saved.
        bind(&store, kind, "http://evil.example:8080/v1").unwrap();
        assert!(check(&store, kind, "http://evil.example:8080").is_ok());
        assert!(check(&store, kind, "https://api.anthropic.com").is_err());
    }
}
