//! The one place that maps a [`ProviderKind`] to its [`Wire`]. The
//! `providers!` table below generates the enum, its names, its parsing (an
//! unknown name is an error with a sentence, never a silent default) and
//! [`build`].
//!
//! Adding a provider touches its own file (a `Wire` impl) plus two
//! registration points: `pub mod <name>;` in `provider/mod.rs` and one row
//! here. No migration: the stored name is plain text, checked here.
//!
//! This module never holds configuration, never touches the store and
//! never knows a wire format.

use std::sync::Arc;

use super::wire::{Spec, Wire, WireProvider};
use super::{PriceTable, Provider, ProviderConfig, ProviderError};

macro_rules! providers {
    ($($variant:ident => $wire:ty),+ $(,)?) => {
        /// Which model API an agent's turns go to (stored by its
        /// [`Spec::name`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProviderKind {
            $($variant),+
        }

        impl ProviderKind {
            /// Every provider this build knows, in the table's order.
            pub const ALL: &'static [ProviderKind] = &[$(ProviderKind::$variant),+];

            /// The provider's static facts.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(ProviderKind::$variant => &<$wire as Wire>::SPEC),+
                }
            }
        }

        /// Build the provider for `kind`, ready to be shared across turns.
        pub fn build(
            kind: ProviderKind,
            config: ProviderConfig,
            prices: Arc<PriceTable>,
        ) -> Result<Arc<dyn Provider>, ProviderError> {
            Ok(match kind {
                $(ProviderKind::$variant => Arc::new(WireProvider::<$wire>::new(config, prices)?)),+
            })
        }
    };
}

providers! {
    Anthropic => super::anthropic::Anthropic,
    OpenAi => super::openai::OpenAi,
}

impl ProviderKind {
    /// The stored name (`anthropic`, `openai`).
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    pub fn base_url_var(self) -> &'static str {
        self.spec().base_url_var
    }

    pub fn api_key_var(self) -> &'static str {
        self.spec().api_key_var
    }

    pub fn default_base_url(self) -> &'static str {
        self.spec().default_base_url
    }

    /// "anthropic or openai" (every known name, for messages).
    fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                crate::Error::Invalid(format!(
                    "unknown provider '{s}': use {}",
                    ProviderKind::names()
                ))
            })
    }
}

impl serde::Serialize for ProviderKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProviderKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse()
            .map_err(|e: crate::Error| serde::de::Error::custom(e.to_string()))
    }
}

/// The API describes a provider as one of the names this build knows.
impl schemars::JsonSchema for ProviderKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProviderKind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}
