//! The secret scanner: the one place that decides whether a text holds an
//! API key, token, password or private key. Every path into memory asks it
//! (the store refuses such writes; see `store::memory`), and every text a
//! dream sends to a model or an upload to Managed Agents is masked with it.
//!
//! Three layers, merged into one list of spans:
//! - the maintained Gitleaks rule catalogue ([`catalogue`]), loaded as data;
//! - private-key blocks, masked whole from `BEGIN` through `END`;
//! - keyword + value detection of assignments and phrases that Gitleaks'
//!   generic rule leaves to entropy: `DB_PASSWORD=…`, `api_key = "…"`,
//!   `GITHUB_TOKEN: …`, "the password is …", and credentials inside URLs.
//!
//! It returns kinds and positions, never the secret itself, and must never
//! log or store what it finds.

pub mod catalogue;

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What stands in for a secret in masked text.
pub const MASK: &str = "[secret masked]";

/// One secret in a text: what kind it is and where (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Words for people: "github pat", "a password assignment".
    pub kind: String,
    /// The rule that found it (a Gitleaks id or one of ours).
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

/// Every secret in `text`, sorted by position, overlapping spans merged.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    if text.is_empty() {
        return found;
    }
    catalogue::scan(text, &mut found);
    prefixed_tokens(text, &mut found);
    private_key_blocks(text, &mut found);
    assignments(text, &mut found);
    phrases(text, &mut found);
    url_credentials(text, &mut found);
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut merged: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        match merged.last_mut() {
            Some(last) if f.start < last.end => last.end = last.end.max(f.end),
            _ => merged.push(f),
        }
    }
    merged
}

/// True when `text` holds anything that looks like a secret.
pub fn contains_secret(text: &str) -> bool {
    !scan(text).is_empty()
}

/// The kinds of secret in `text`, each once, in order of appearance.
pub fn kinds(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in scan(text) {
        if !out.contains(&f.kind) {
            out.push(f.kind);
        }
    }
    out
}

/// `text` with every secret replaced by [`MASK`].
pub fn mask(text: &str) -> Cow<'_, str> {
    let found = scan(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.start]);
        out.push_str(MASK);
        at = f.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Why `text` may not go into memory, as the end of a sentence ("it holds
/// what looks like a github pat"), or `None` when it is clean.
pub fn refusal(text: &str) -> Option<String> {
    let kinds = kinds(text);
    let first = kinds.first()?;
    Some(match kinds.len() {
        1 => format!("it holds what looks like {}", with_article(first)),
        n => format!(
            "it holds what looks like {} and {} other secret{}",
            with_article(first),
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
    })
}

fn with_article(kind: &str) -> String {
    if kind.starts_with("a ") || kind.starts_with("an ") {
        return kind.to_string();
    }
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

/// Bits of Shannon entropy per character.
pub(crate) fn shannon_entropy(s: &str) -> f32 {
    let mut counts = [0u32; 256];
    let bytes = s.as_bytes();
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

/// Values that stand for a secret without being one: variables, templates,
/// masks and the usual examples.
pub(crate) fn is_placeholder(value: &str) -> bool {
    static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?ix)^(?:
                \$\{?[A-Za-z_][A-Za-z0-9_.]*\}?            # $VAR, ${VAR}
              | \$\{\{.*\}\}  | \{\{.*\}\} | \{[A-Za-z_]*\} # templates
              | %[A-Za-z_]+%                                # %VAR%
              | <[^<>]*> | \[[^\[\]]*\]                     # <your key>, [redacted]
              | [*x.•\#_\-]+                                 # ****, xxxx, ....
              | (?:your|my|the|an?)[-_ ]?(?:api[-_ ]?)?(?:key|token|secret|password)(?:[-_ ]?here)?
              | (?:changeme|example|sample|dummy|placeholder|redacted|masked|hidden|none|null|nil|undefined|true|false|empty|required|optional|unset|todo|tbd)
              | process\.env\..* | os\.environ.* | env\(.*\) | getenv.* | env:.* | secrets\..* | vault:.*
            )$"#,
        )
        .expect("placeholder pattern compiles")
    });
    PLACEHOLDER.is_match(value.trim_matches(|c| c == '"' || c == '\'' || c == '`'))
        || value.contains(MASK)
        || value.contains("secret masked")
}

/// Keys whose prefix alone gives them away, at any length: the catalogue
/// wants exact lengths, and keys are often pasted cut or padded.
fn prefixed_tokens(text: &str, out: &mut Vec<Finding>) {
    const SHAPES: &[(&str, &str)] = &[
        ("an Anthropic API key", r"sk-ant-[A-Za-z0-9_\-]{16,}"),
        (
            "an OpenAI API key",
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        ),
        (
            "a GitHub token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{30,})",
        ),
        (
            "a Hugging Face token",
            r"\b(?:hf_|api_org_)[A-Za-z0-9]{24,}",
        ),
        (
            "an AWS access key id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        ),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_\-]{30,}"),
        (
            "a Stripe key",
            r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}",
        ),
        (
            "a JSON Web Token",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        ),
        ("a bearer token", r"(?i)\bbearer\s+[A-Za-z0-9_\-.=~+/]{20,}"),
        ("a Docker Hub token", r"\bdckr_pat_[A-Za-z0-9_\-]{20,}"),
        ("an xAI API key", r"\bxai-[A-Za-z0-9]{40,}"),
        (
            "a basic-auth header",
            r"(?i)\bauthorization:\s*basic\s+[A-Za-z0-9+/]{8,}={0,2}",
        ),
        ("a New Relic key", r"\bNR(?:AK|AA|II)-[A-Z0-9]{20,}"),
        ("a Figma token", r"\bfigd_[A-Za-z0-9_\-]{30,}"),
        (
            "an Azure storage key",
            r"(?i)\bAccountKey=[A-Za-z0-9+/]{40,}={0,2}",
        ),
    ];
    static SET: LazyLock<(regex::RegexSet, Vec<Regex>)> = LazyLock::new(|| {
        let patterns: Vec<String> = SHAPES
            .iter()
            .map(|(_, p)| p.replace(r"\b", r"(?-u:\b)"))
            .collect();
        (
            regex::RegexSet::new(&patterns).expect("token shapes compile"),
            patterns
                .iter()
                .map(|p| Regex::new(p).expect("token shape compiles"))
                .collect(),
        )
    });
    let (set, regexes) = &*SET;
    for i in set.matches(text).iter() {
        for m in regexes[i].find_iter(text) {
            out.push(Finding {
                kind: SHAPES[i].0.into(),
                rule: "token-shape".into(),
                start: m.start(),
                end: m.end(),
            });
        }
    }
}

/// `-----BEGIN … PRIVATE KEY-----` through its `END` line (or, when the end
/// is missing, through the last line of key material).
fn private_key_blocks(text: &str, out: &mut Vec<Finding>) {
    static BEGIN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----").expect("pem begin")
    });
    static END: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----").expect("pem end")
    });
    static MATERIAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[ \t]*(?:[A-Za-z0-9+/=]{8,}|[A-Za-z-]+:.*|)[ \t\r]*$").expect("pem body")
    });
    if !text.contains("PRIVATE KEY") {
        return;
    }
    for begin in BEGIN.find_iter(text) {
        let end = match END.find_at(text, begin.end()) {
            Some(e) => e.end(),
            None => {
                // Key material runs until the first line that is not base64
                // or a header (a transcript cut mid-key, say).
                let mut at = begin.end();
                for line in text[begin.end()..].split_inclusive('\n').skip(1) {
                    if !MATERIAL.is_match(line.trim_end_matches('\n')) {
                        break;
                    }
                    at += line.len();
                }
                let first = text[begin.end()..].find('\n').map(|i| i + 1).unwrap_or(0);
                (at + first).min(text.len())
            }
        };
        out.push(Finding {
            kind: "a private key".into(),
            rule: "private-key-block".into(),
            start: begin.start(),
            end,
        });
    }
}

/// Keywords whose value is always secret (a password may be a plain word).
const PASSWORD_WORDS: &str = r"passw(?:or)?d|passwd|pwd|pass|passphrase|passcode|pin|pincode";
/// Keywords whose value is secret when it looks random.
const KEY_WORDS: &str = r"secret|token|api[-_.]?key|apikey|access[-_.]?key|secret[-_.]?key|private[-_.]?key|client[-_.]?secret|auth|credentials?|creds|session[-_.]?key|signing[-_.]?key|encryption[-_.]?key|master[-_.]?key|bearer|cookie|license[-_.]?key|webhook[-_.]?secret|dsn|connection[-_.]?string|conn[-_.]?str";

/// Whether an identifier (`DB_PASSWORD`, `githubToken`, `api-key`) names a
/// password (`Some(true)`), another credential (`Some(false)`) or neither.
fn identifier_kind(ident: &str) -> Option<bool> {
    static PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?i)(?:^|[^a-z])(?:{PASSWORD_WORDS})(?:$|[^a-z])|passw(?:or)?d"
        ))
        .expect("password ident")
    });
    static KEY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"(?i)(?:{KEY_WORDS})")).expect("key ident"));
    // Counters and settings that merely mention tokens or keys.
    static BENIGN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:max|min|num|count|total|limit|budget|usage|length|len|size|expir|ttl|timeout|type|kind|name|id$|_id|url|uri|endpoint|path|file|dir|header|field|env|policy|rotation|scope|format|prefix|hint|reset|enabled|required|strength|policy|mode|provider|method|version|bytes|tokens_?per|per_?token|input_?tokens|output_?tokens|cache)",
        )
        .expect("benign ident")
    });
    // An identifier built from the camelCase words too: "dbPassword".
    let words = split_camel(ident);
    if PASSWORD.is_match(&words) {
        return (!BENIGN.is_match(&words)).then_some(true);
    }
    if KEY.is_match(&words) {
        return (!BENIGN.is_match(&words)).then_some(false);
    }
    None
}

fn split_camel(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    let mut prev_lower = false;
    for c in ident.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c);
    }
    out
}

/// Whether `value`, given to a password-like (`password`) or key-like name,
/// reads as an actual secret rather than prose, a path or a number.
fn looks_secret(value: &str, password: bool, quoted: bool) -> bool {
    let v = value.trim_end_matches(['.', ',', ';', ')', ']', '}']);
    if v.len() < 4 || is_placeholder(v) {
        return false;
    }
    if v.starts_with('/') || v.starts_with("~/") || v.starts_with("./") || v.contains("://") {
        return false;
    }
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    let letters = v.chars().filter(|c| c.is_alphabetic()).count();
    let symbols = v.chars().count() - digits - letters;
    let upper_inside = v.chars().skip(1).any(|c| c.is_uppercase());
    if password {
        if digits == v.len() {
            // PINs and numeric passcodes.
            return v.len() >= 4;
        }
        if quoted && v.len() >= 6 {
            return true;
        }
        // A plain lower-case word ("stored", "required") is prose.
        v.len() >= 6 && (digits > 0 || symbols > 0 || upper_inside) || v.len() >= 14
    } else {
        if digits == v.len() {
            return false;
        }
        let random_looking = (digits > 0 && letters > 0) || (upper_inside && letters > 4);
        v.len() >= 12 && random_looking && shannon_entropy(v) >= 3.0
            || v.len() >= 20 && shannon_entropy(v) >= 3.5
            || quoted && v.len() >= 16 && shannon_entropy(v) >= 3.2
    }
}

/// Whether `text` names a password or a credential at all: the cheap test
/// before the assignment and phrase searches.
fn has_hint(text: &str) -> bool {
    static HINT: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build([
                "pass", "pwd", "pin", "secret", "token", "key", "auth", "cred", "bearer", "cookie",
                "dsn", "conn",
            ])
            .expect("hint automaton")
    });
    HINT.is_match(text)
}

/// `NAME = value`, `"name": "value"`, `name: value`, `--name value`,
/// `name => value`, where the name is a credential.
fn assignments(text: &str, out: &mut Vec<Finding>) {
    static IDENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"-{0,2}[A-Za-z_][A-Za-z0-9_.\-]{0,60}").expect("identifier pattern")
    });
    // Anchored at the end of a name: the operator and the value.
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"^["'`]?[ \t]{0,3}(?P<op>=>|:=|\?=|=|:|[ \t])[ \t]{0,3}(?:"(?P<dq>[^"\n]{1,300})"|'(?P<sq>[^'\n]{1,300})'|`(?P<bq>[^`\n]{1,300})`|(?P<bare>[^\s"'`,;<>(){}\[\]]{1,300}))"#,
        )
        .expect("value pattern")
    });
    if !has_hint(text) {
        return;
    }
    for ident in IDENT.find_iter(text) {
        let name = ident.as_str();
        let Some(password) = identifier_kind(name.trim_start_matches('-')) else {
            continue;
        };
        let Some(caps) = VALUE.captures(&text[ident.end()..]) else {
            continue;
        };
        // `--password value` and `NAME value` need a flag or a variable-like
        // name; in prose ("token budget") a space is no operator.
        if matches!(&caps["op"], " " | "\t")
            && !(name.starts_with('-')
                || name.contains('_')
                || name.chars().all(|c| !c.is_ascii_lowercase()))
        {
            continue;
        }
        let (value, quoted) = match (caps.name("dq"), caps.name("sq"), caps.name("bq")) {
            (Some(v), _, _) | (_, Some(v), _) | (_, _, Some(v)) => (v, true),
            _ => (caps.name("bare").expect("one value group matches"), false),
        };
        let start = ident.end() + value.start();
        if text[start..].starts_with(MASK) || !looks_secret(value.as_str(), password, quoted) {
            continue;
        }
        let end = start + value.as_str().trim_end_matches(['.', ',', ';', ')']).len();
        out.push(Finding {
            kind: if password {
                "a password".into()
            } else {
                "a credential assignment".into()
            },
            rule: "assignment".into(),
            start,
            end,
        });
    }
}

/// "the password is hunter2", "my PIN for the bank is 4821", "password for
/// the router: Tr0ub4dor".
fn phrases(text: &str, out: &mut Vec<Finding>) {
    if !has_hint(text) {
        return;
    }
    static PHRASE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?ix)
            \b(?P<what>password|passphrase|passcode|pin(?:\s?code)?|api\s+key|secret\s+key|access\s+token|auth\s+token|token|secret)\b
            [^.\n]{0,40}?
            (?:\s(?:is|was|are|to)\s|\s*(?:=|:|->))\s*
            (?:set\s+to\s+|now\s+|still\s+)?
            (?:
                "(?P<dq>[^"\n]{1,200})"
              | '(?P<sq>[^'\n]{1,200})'
              | `(?P<bq>[^`\n]{1,200})`
              | (?P<bare>[^\s"'`,;]{1,200})
            )"#,
        )
        .expect("phrase pattern compiles")
    });
    for caps in PHRASE.captures_iter(text) {
        let what = caps["what"].to_ascii_lowercase();
        let password = what.starts_with("pass") || what.starts_with("pin");
        let (value, quoted) = match (caps.name("dq"), caps.name("sq"), caps.name("bq")) {
            (Some(v), _, _) | (_, Some(v), _) | (_, _, Some(v)) => (v, true),
            _ => (caps.name("bare").expect("one value group matches"), false),
        };
        if text[value.start()..].starts_with(MASK)
            || !looks_secret(value.as_str(), password, quoted)
        {
            continue;
        }
        let end = value.start() + value.as_str().trim_end_matches(['.', ',', ';', ')']).len();
        out.push(Finding {
            kind: if password {
                "a password".into()
            } else {
                "a credential".into()
            },
            rule: "phrase".into(),
            start: value.start(),
            end,
        });
    }
}

/// `scheme://user:password@host`: the password part.
fn url_credentials(text: &str, out: &mut Vec<Finding>) {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:(?P<pw>[^/\s@]{3,})@").expect("url creds")
    });
    if !text.contains("://") {
        return;
    }
    for caps in URL.captures_iter(text) {
        let pw = caps.name("pw").expect("group exists");
        if is_placeholder(pw.as_str()) {
            continue;
        }
        out.push(Finding {
            kind: "credentials in a web address".into(),
            rule: "url-credentials".into(),
            start: pw.start(),
            end: pw.end(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_loads_and_every_rule_compiles() {
        let (rules, failed) = catalogue::stats();
        assert!(rules > 200, "{rules} rules");
        assert_eq!(failed, 0, "{failed} rules failed to compile");
    }

    #[test]
    fn finds_and_masks_the_issue_examples() {
        for case in [
            "export DB_PASSWORD=Sup3rS3cret!",
            "GITHUB_TOKEN=ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "config: api_key = \"9f8e7d6c5b4a39281706f5e4d3c2b1a0\"",
            "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 is the Hugging Face token",
            "The password is hunter2",
            "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345-AAAA",
        ] {
            let masked = mask(case);
            assert!(masked.contains(MASK), "missed: {case}");
            assert!(scan(&masked).is_empty(), "left over in {masked}");
        }
        let pem = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumGwB\nq3RVTU2ZkqUZfdpDmZkYQ2LzPFlNvvoGC1Qa7O0rKZcTdQ\n-----END RSA PRIVATE KEY-----\nafter";
        let masked = mask(pem);
        assert_eq!(masked, format!("before\n{MASK}\nafter"));
        let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBkZXNrdG9wLWtleQ\nNext line of prose here.";
        let masked = mask(cut);
        assert!(!masked.contains("b3BlbnNz"), "{masked}");
        assert!(masked.contains("Next line of prose here."), "{masked}");
    }

    #[test]
    fn ordinary_lines_pass() {
        for clean in [
            "Use metric units; the user prefers short answers.",
            "Run `cargo test --workspace` before committing.",
            "The password reset page lives at /reset.",
            "Set max_tokens: 4096 for long reports.",
            "The token budget is 20000 tokens per dream.",
            "Keep the API key in Settings, never in a file.",
            "password: stored in the keychain",
            "auth: oauth2",
            "sk-short",
        ] {
            assert!(
                scan(clean).is_empty(),
                "false positive: {clean} -> {:?}",
                scan(clean)
            );
        }
    }

    #[test]
    fn refusal_names_the_kind_never_the_secret() {
        let r = refusal("DB_PASSWORD=Sup3rS3cret!").unwrap();
        assert!(r.contains("password"), "{r}");
        assert!(!r.contains("Sup3r"), "{r}");
    }
}
