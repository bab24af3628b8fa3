//! What a model call costs: a per-model price table (input, output, cache
//! write 5 min / 1 h, cache read; USD per million tokens) shipped as
//! `prices.json` and overridable by the user's own `<data folder>/prices.json`.
//! Owns prices and arithmetic only; it never fetches prices from the network.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ProviderError, Usage};

/// The file name of the user's price table inside the data folder.
pub const USER_FILE: &str = "prices.json";

const BUILT_IN: &str = include_str!("prices.json");

/// One model's prices, USD per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// A model id, or the start of one (`claude-haiku-4-5` also prices
    /// `claude-haiku-4-5-20251001`).
    pub model: String,
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub cache_read: f64,
}

#[derive(Debug, Deserialize)]
struct PriceFile {
    #[serde(default)]
    #[allow(dead_code)]
    about: Option<String>,
    models: Vec<ModelPrice>,
}

#[derive(Debug, Clone)]
pub struct PriceTable {
    models: Vec<ModelPrice>,
}

impl PriceTable {
    /// The prices shipped with Reverie.
    pub fn built_in() -> Self {
        let file: PriceFile =
            serde_json::from_str(BUILT_IN).expect("the built-in prices.json is valid");
        PriceTable {
            models: file.models,
        }
    }

    /// The built-in prices overlaid with the user's file when it exists.
    pub fn load(user_file: Option<&Path>) -> Result<Self, ProviderError> {
        let mut table = Self::built_in();
        let Some(path) = user_file else {
            return Ok(table);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(table),
            Err(e) => {
                return Err(ProviderError::Prices {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                });
            }
        };
        let file: PriceFile = serde_json::from_str(&text).map_err(|e| ProviderError::Prices {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        for price in file.models {
            if let Some(bad) = [
                price.input,
                price.output,
                price.cache_write_5m,
                price.cache_write_1h,
                price.cache_read,
            ]
            .into_iter()
            .find(|p| !p.is_finite() || *p < 0.0)
            {
                return Err(ProviderError::Prices {
                    path: path.display().to_string(),
                    detail: format!(
                        "model {} has the price {bad}, which is not a number of dollars",
                        price.model
                    ),
                });
            }
            table.models.retain(|m| m.model != price.model);
            table.models.push(price);
        }
        Ok(table)
    }

    /// The entry for a model id: an exact match, else the longest entry the
    /// id starts with followed by `-`.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.models
            .iter()
            .filter(|p| {
                model == p.model
                    || model
                        .strip_prefix(p.model.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|p| p.model.len())
    }

    /// USD for one call, or `None` for a model without a price (a local model).
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let p = self.price(model)?;
        let one_hour = usage
            .cache_creation_1h_input_tokens
            .min(usage.cache_creation_input_tokens);
        let five_min = usage.cache_creation_input_tokens - one_hour;
        let micro = usage.input_tokens as f64 * p.input
            + usage.output_tokens as f64 * p.output
            + five_min as f64 * p.cache_write_5m
            + one_hour as f64 * p.cache_write_1h
            + usage.cache_read_input_tokens as f64 * p.cache_read;
        Some(micro / 1_000_000.0)
    }

    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }
}

impl Default for PriceTable {
    fn default() -> Self {
        Self::built_in()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_has_current_families_and_matches_snapshots() {
        let t = PriceTable::built_in();
        for family in ["claude-opus-", "claude-sonnet-", "claude-haiku-"] {
            assert!(
                t.models().iter().any(|m| m.model.starts_with(family)),
                "{family}"
            );
        }
        assert_eq!(
            t.price("claude-haiku-4-5-20251001").unwrap().model,
            "claude-haiku-4-5"
        );
        assert_eq!(
            t.price("claude-opus-4-1-20250805").unwrap().model,
            "claude-opus-4-1"
        );
        assert!(t.price("claude-opus-4-50").is_none());
        assert!(t.price("llama3.2").is_none());
    }

    #[test]
    fn cost_counts_every_kind_of_token() {
        let t = PriceTable::built_in();
        let usage = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_creation_input_tokens: 2_000_000,
            cache_creation_1h_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
        };
        // haiku 4.5: 1 + 5 + 1.25 + 2 + 0.1
        let cost = t.cost("claude-haiku-4-5", &usage).unwrap();
        assert!((cost - 9.35).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn user_file_overrides_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USER_FILE);
        assert!(
            PriceTable::load(Some(&path)).is_ok(),
            "a missing file means built-in prices"
        );
        std::fs::write(&path, r#"{"models":[{"model":"claude-haiku-4-5","input":2,"output":4,"cache_write_5m":0,"cache_write_1h":0,"cache_read":0},{"model":"llama3.2","input":0,"output":0,"cache_write_5m":0,"cache_write_1h":0,"cache_read":0}]}"#).unwrap();
        let t = PriceTable::load(Some(&path)).unwrap();
        assert_eq!(t.price("claude-haiku-4-5").unwrap().input, 2.0);
        assert_eq!(
            t.cost(
                "llama3.2",
                &Usage {
                    input_tokens: 5,
                    ..Usage::default()
                }
            ),
            Some(0.0)
        );
        std::fs::write(&path, "{not json").unwrap();
        let err = PriceTable::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("prices.json is not valid"), "{err}");
    }
}
