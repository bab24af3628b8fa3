//! One module per command group; each parses its arguments with clap and
//! calls the engine. No business logic lives here.

pub mod agent;
pub mod daemon;
pub mod dream;
pub mod eval;
pub mod key;
pub mod managed;
pub mod memory;
pub mod mirror;
pub mod os_schedule;
pub mod outcomes;
pub mod rubric;
pub mod run;
pub mod serve;
pub mod session;
