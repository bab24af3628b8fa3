//! # reverie-engine
//!
//! Everything Reverie does, without a window: the SQLite [`store`] of every
//! core object (agents, memory stores and their versioned documents,
//! sessions and their append-only events, dreams and proposals, rubrics and
//! outcomes), the OS [`keychain`] for API keys, and the parts built on them
//! (model providers, the agent runtime, dreaming, grading, orchestration).
//!
//! The Tauri app and the `reverie` CLI are thin shells over this crate; it
//! must never depend on Tauri, so it builds and tests headless.

pub mod api;
pub mod data_dir;
pub mod demo;
pub mod downloads;
pub mod dream;
pub mod error;
pub mod eval;
pub mod ids;
pub mod import;
pub mod keychain;
pub mod managed_agents;
pub mod memory_export;
pub mod memory_path;
pub mod mirror;
pub mod os_schedule;
pub mod outcome;
pub mod provenance;
pub mod provider;
pub mod receipts;
pub mod redact;
pub mod rubric_tools;
pub mod runtime;
pub mod schedule_spec;
pub mod secrets;
pub mod session_export;
pub mod store;
pub mod timeline;
pub mod tools;
pub mod transcript;

pub use error::{Error, Result};
pub use store::Store;
