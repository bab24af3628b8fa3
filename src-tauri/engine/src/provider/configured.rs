//! Configured providers: one shared provider per kind (one connection
//! pool), configured as the official SDKs are: base URL from the kind's
//! `*_BASE_URL` variable (else Settings, else the public endpoint), key from
//! its `*_API_KEY` variable (else the OS keychain). Prices come from the
//! built-in table, overridden by `<data>/prices.json` when the user has one.
//!
//! It reads Settings and the keychain but never writes them, and never
//! names a provider: what differs per kind comes from its [`Spec`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::provider::{
    self, PriceTable, Provider, ProviderConfig, ProviderError, ProviderKind, Spec,
};
use super::Settings;
use crate::keychain;

pub struct ProviderRegistry {
    prices: Arc<PriceTable>,
    providers: Mutex<HashMap<ProviderKind, Arc<dyn Provider>>>,
}

/// The settings key holding a provider's base URL.
pub fn base_url_setting(kind: ProviderKind) -> String {
    format!("provider.{}.base_url", kind.as_str())
}

impl ProviderRegistry {
    pub fn new(data_dir: &Path) -> Result<Self, ProviderError> {
        let user_prices = data_dir.join("prices.json");
        let prices = PriceTable::load(user_prices.exists().then_some(user_prices.as_path()))?;
        Ok(ProviderRegistry {
            prices: Arc::new(prices),
            providers: Mutex::new(HashMap::new()),
        })
    }

    pub fn prices(&self) -> &Arc<PriceTable> {
        &self.prices
    }

    /// The provider for `kind`, built on first use.
    pub fn get(
        &self,
        kind: ProviderKind,
        store: &dyn Settings,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        if let Some(p) = self
            .providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&kind)
        {
            return Ok(p.clone());
        }
        let spec: &Spec = kind.spec();
        let saved_url = store.setting(&base_url_setting(kind)).ok().flatten();
        let config = ProviderConfig::from_lookup(
            kind,
            |name| {
                std::env::var(name).ok().or_else(|| {
                    (name == kind.base_url_var())
                        .then(|| saved_url.clone())
                        .flatten()
                })
            },
            || match keychain::resolve_api_key(kind.as_str()) {
                // A local server needs no key, so a missing keychain is not
                // an error there.
                Err(crate::Error::KeychainUnavailable(_)) if spec.local => Ok(None),
                other => other,
            },
        )?;
        // A keychain key goes only where it was saved for, or confirmed to go.
        if config.api_key.is_some() && config.key_fix == provider::KeyFix::Keychain {
            super::key_host::check(store, kind, &config.base_url)?;
        }
        if !spec.local && config.api_key.is_none() {
            return Err(ProviderError::MissingKey {
                provider: spec.api,
                env_var: spec.api_key_var,
            });
        }
        let built = provider::build(kind, config, self.prices.clone())?;
        self.providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kind, built.clone());
        Ok(built)
    }

    /// Uses `config` for `kind` from now on (tests, or Settings that were
    /// just saved), instead of reading the environment and keychain.
    pub fn configure(
        &self,
        kind: ProviderKind,
        config: ProviderConfig,
    ) -> Result<(), ProviderError> {
        let built = provider::build(kind, config, self.prices.clone())?;
        self.providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kind, built);
        Ok(())
    }

    /// Forgets built providers (after a key or base URL changed in Settings).
    pub fn reset(&self) {
        self.providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
