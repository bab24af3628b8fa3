//! What the rubric builder asks while someone edits a criterion: the matches
//! of a `regex` criterion's pattern in sample text, with exactly the engine's
//! regex dialect and flags (a browser's RegExp differs), so the live preview
//! shows what the grader will decide.
//!
//! It never stores anything and never runs a whole rubric (see `outcome`).

use serde::Serialize;

/// The most matches returned for one preview.
pub const MAX_MATCHES: usize = 500;

/// One match, as UTF-16 offsets (what a browser's strings index by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegexMatch {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegexPreview {
    pub matches: Vec<RegexMatch>,
    /// True when there were more than [`MAX_MATCHES`].
    pub truncated: bool,
}

/// Matches of `pattern` (with rubric `flags`) in `text`; the error is the
/// same sentence the rubric's validation gives for a bad pattern or flag.
pub fn try_regex(pattern: &str, flags: Option<&str>, text: &str) -> Result<RegexPreview, String> {
    let re = crate::outcome::rubric::build_regex(pattern, flags)?;
    let mut matches = Vec::new();
    let mut truncated = false;
    // Byte offsets to UTF-16 offsets, walking the text once.
    let mut byte = 0;
    let mut utf16 = 0;
    let mut to_utf16 = |target: usize| {
        for c in text[byte..target].chars() {
            utf16 += c.len_utf16();
        }
        byte = target;
        utf16
    };
    for m in re.find_iter(text) {
        if matches.len() == MAX_MATCHES {
            truncated = true;
            break;
        }
        let start = to_utf16(m.start());
        let end = to_utf16(m.end());
        matches.push(RegexMatch {
            start,
            end,
            text: m.as_str().chars().take(200).collect(),
        });
    }
    Ok(RegexPreview { matches, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_use_the_engine_dialect_and_utf16_offsets() {
        // `(?i)` inline flags and \d work as in the grader; "é" and "😀"
        // shift UTF-16 offsets by 1 and 2.
        let p = try_regex(r"(?i)total: \d+", None, "é😀 TOTAL: 12, total: 3").unwrap();
        assert_eq!(
            p.matches,
            vec![
                RegexMatch {
                    start: 4,
                    end: 13,
                    text: "TOTAL: 12".into()
                },
                RegexMatch {
                    start: 15,
                    end: 23,
                    text: "total: 3".into()
                },
            ]
        );
        assert!(!p.truncated);
        let flagged = try_regex("^b", Some("m"), "a\nb").unwrap();
        assert_eq!(flagged.matches.len(), 1);
    }

    #[test]
    fn a_bad_pattern_or_flag_is_one_sentence() {
        let e = try_regex("(", None, "x").unwrap_err();
        assert!(
            e.starts_with("the pattern is not a valid regular expression"),
            "{e}"
        );
        let e = try_regex("a", Some("q"), "x").unwrap_err();
        assert!(e.contains("unknown regex flag `q`"), "{e}");
    }

    #[test]
    fn previews_stop_at_the_limit() {
        let text = "a".repeat(MAX_MATCHES + 10);
        let p = try_regex("a", None, &text).unwrap();
        assert_eq!(p.matches.len(), MAX_MATCHES);
        assert!(p.truncated);
    }
}
