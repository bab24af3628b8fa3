//! Prepared-statement reuse for every store query. Parsing SQL costs more
//! than running most of these one-row statements, and the runtime issues
//! the same few dozen on every turn, so they go through the connection's
//! statement cache rather than being prepared afresh each time.

use rusqlite::{Connection, Params, Row};

/// Statements the cache keeps (the store uses fewer distinct ones, so none
/// is evicted in steady state).
pub(crate) const CAPACITY: usize = 256;

pub(crate) trait CachedSql {
    /// `query_row` through the statement cache.
    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>;

    /// `execute` through the statement cache.
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl CachedSql for Connection {
    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}
