//! Masks credentials written into URLs (`https://user:KEY@host/...`) in any
//! text, before that text is stored (a session's error, its error and retry
//! events) or logged. A base URL is something people paste from a proxy's
//! instructions, so a key inside one must not travel further than the
//! request itself. This module only rewrites text; it never reads or keeps
//! a secret.

use std::borrow::Cow;

/// What replaces the user-info part of a URL.
pub const MASK: &str = "***";

/// `text` with the user name and password of every `scheme://user:pass@host`
/// replaced by [`MASK`] (`https://***@host`). Text without one is returned
/// as it is, without copying.
pub fn mask_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first of these; user-info is what comes
        // before its last '@'.
        let end = after
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ']' | '}'
                ) || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(i) if i > 0 => {
                out.push_str(MASK);
                out.push_str(&authority[i..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_url_credentials(
                "cannot reach https://user:sk-ant-KEY@proxy.example:8443/v1/messages now"
            ),
            "cannot reach https://***@proxy.example:8443/v1/messages now"
        );
        assert_eq!(
            mask_url_credentials(r#"{"url":"http://sk-only@h/x","b":"ftp://a:b@c"}"#),
            r#"{"url":"http://***@h/x","b":"ftp://***@c"}"#
        );
        // A password holding '@' is masked whole.
        assert_eq!(
            mask_url_credentials("https://u:p@ss@host"),
            "https://***@host"
        );
        for plain in [
            "https://api.anthropic.com/v1",
            "mail me at someone@example.com",
            "see https://host/path?who=a@b",
            "",
        ] {
            assert!(
                matches!(mask_url_credentials(plain), Cow::Borrowed(_)),
                "{plain}"
            );
        }
    }
}
