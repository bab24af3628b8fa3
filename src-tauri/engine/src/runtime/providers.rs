//! Configured providers now live in `provider::configured`; this path stays
//! for callers that name it.

pub use crate::provider::configured::{ProviderRegistry, base_url_setting};
