//! Sortable ids (ULID) and UTC RFC 3339 timestamps, the two ways every row is
//! named and dated. Both sort lexicographically in creation order.

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// Fixed width (milliseconds, `Z`), so string order is time order.
const RFC3339_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Monotonic within the process: ids minted in the same millisecond still sort
/// in creation order (plain `Ulid::new` randomises the low bits, so two rows
/// made in one millisecond could list out of order).
pub fn new_id() -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    // Overflow needs 2^80 ids in one millisecond; fall back to a fresh ULID.
    generator
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new())
        .to_string()
}

pub fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

pub fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(RFC3339_MILLIS)
        .expect("formatting a UTC time cannot fail")
}

pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_sort() {
        let a = now();
        let b = format_time(OffsetDateTime::now_utc() + time::Duration::milliseconds(5));
        assert!(a < b, "{a} < {b}");
        assert_eq!(format_time(parse_time(&a).unwrap()), a);
        let burst: Vec<String> = (0..1000).map(|_| new_id()).collect();
        assert!(
            burst.windows(2).all(|w| w[0] < w[1]),
            "ids sort in creation order"
        );
        assert!(
            new_id() < {
                std::thread::sleep(std::time::Duration::from_millis(2));
                new_id()
            }
        );
    }
}
