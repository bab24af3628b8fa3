//! The maintained rule catalogue: Gitleaks' rules, loaded as data from
//! `data/secret-rules/gitleaks-rules.json` at its pinned version (see the
//! README beside it for the version, licences and how to refresh it).
//!
//! Each rule is a keyword prefilter (ASCII, case-insensitive), a regular
//! expression, the capture group that holds the secret, a minimum Shannon
//! entropy and allowlists, with Gitleaks' semantics. A rule's expression is
//! compiled the first time one of its keywords is seen, so texts that name
//! no keyword cost one automaton pass.

use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use super::{Finding, is_placeholder, shannon_entropy};

const CATALOGUE: &str = include_str!("../../data/secret-rules/gitleaks-rules.json");

#[derive(Deserialize)]
struct CatalogueFile {
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
struct RuleSpec {
    id: String,
    pattern: Option<String>,
    secret_group: Option<usize>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    min_entropy: f32,
    /// A rule that matches file paths only (e.g. "a .p12 file"): not for text.
    path: Option<String>,
    #[serde(default)]
    allowlist: Vec<AllowSpec>,
}

#[derive(Deserialize)]
struct AllowSpec {
    #[serde(default)]
    condition: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Secret,
    Match,
    Line,
}

struct Allowlist {
    all: bool,
    target: Target,
    regexes: Vec<Regex>,
    stopwords: Option<AhoCorasick>,
}

struct Rule {
    id: String,
    kind: String,
    pattern: String,
    compiled: OnceLock<Option<Regex>>,
    secret_group: Option<usize>,
    min_entropy: f32,
    allow_specs: Vec<AllowSpec>,
    allowlists: OnceLock<Vec<Allowlist>>,
}

struct Catalogue {
    rules: Vec<Rule>,
    keywords: AhoCorasick,
    /// For each keyword of `keywords`, the rules it wakes.
    keyword_rules: Vec<Vec<usize>>,
}

fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(50 << 20)
        .dfa_size_limit(20 << 20)
        .build()
        .ok()
}

/// "github-fine-grained-pat" reads as "GitHub fine grained pat"-ish words.
fn kind_of(id: &str) -> String {
    id.replace(['-', '_'], " ")
}

static CATALOGUE_RULES: LazyLock<Catalogue> = LazyLock::new(|| {
    let file: CatalogueFile =
        serde_json::from_str(CATALOGUE).expect("the bundled secret catalogue is valid JSON");
    let mut rules = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    for spec in file.rules {
        let Some(pattern) = spec.pattern else {
            continue;
        };
        if spec.path.is_some() {
            continue;
        }
        let index = rules.len();
        for k in &spec.keywords {
            let k = k.to_ascii_lowercase();
            match keywords.iter().position(|x| *x == k) {
                Some(i) => keyword_rules[i].push(index),
                None => {
                    keywords.push(k);
                    keyword_rules.push(vec![index]);
                }
            }
        }
        rules.push(Rule {
            kind: kind_of(&spec.id),
            id: spec.id,
            pattern,
            compiled: OnceLock::new(),
            secret_group: spec.secret_group,
            min_entropy: spec.min_entropy,
            allow_specs: spec.allowlist,
            allowlists: OnceLock::new(),
        });
    }
    let keywords_ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&keywords)
        .expect("secret keywords build");
    Catalogue {
        rules,
        keywords: keywords_ac,
        keyword_rules,
    }
});

impl Rule {
    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(&self.pattern))
            .as_ref()
    }

    fn allowlists(&self) -> &[Allowlist] {
        self.allowlists.get_or_init(|| {
            self.allow_specs
                .iter()
                .map(|a| Allowlist {
                    all: a.condition.eq_ignore_ascii_case("and"),
                    target: match a.target.as_str() {
                        "match" => Target::Match,
                        "line" => Target::Line,
                        _ => Target::Secret,
                    },
                    regexes: a.regexes.iter().filter_map(|r| compile(r)).collect(),
                    // Path-only allowlists never apply to text: keep them
                    // from allowing everything by leaving no predicate.
                    stopwords: (!a.stopwords.is_empty()).then(|| {
                        AhoCorasickBuilder::new()
                            .ascii_case_insensitive(true)
                            .build(&a.stopwords)
                            .expect("stopwords build")
                    }),
                })
                .filter(|a| !a.regexes.is_empty() || a.stopwords.is_some())
                .collect()
        })
    }
}

impl Allowlist {
    fn allows(&self, secret: &str, full: &str, line: &str) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => full,
            Target::Line => line,
        };
        let checks = [
            (!self.regexes.is_empty()).then(|| self.regexes.iter().any(|r| r.is_match(target))),
            self.stopwords.as_ref().map(|w| w.is_match(secret)),
        ];
        let mut present = checks.into_iter().flatten();
        if self.all {
            present.all(|m| m)
        } else {
            present.any(|m| m)
        }
    }
}

fn line_around(text: &str, start: usize, end: usize) -> &str {
    let s = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let e = text[end..]
        .find('\n')
        .map(|i| end + i)
        .unwrap_or(text.len());
    &text[s..e]
}

/// Every catalogue finding in `text`, in any order, possibly overlapping.
pub(super) fn scan(text: &str, out: &mut Vec<Finding>) {
    let cat = &*CATALOGUE_RULES;
    let mut woken = vec![false; cat.rules.len()];
    let mut any = false;
    for m in cat.keywords.find_overlapping_iter(text) {
        for &r in &cat.keyword_rules[m.pattern().as_usize()] {
            if !woken[r] {
                woken[r] = true;
                any = true;
            }
        }
    }
    if !any {
        return;
    }
    for (index, rule) in cat.rules.iter().enumerate() {
        if !woken[index] {
            continue;
        }
        let Some(re) = rule.regex() else {
            continue;
        };
        for caps in re.captures_iter(text) {
            let full = caps.get(0).expect("group 0 exists");
            let secret = match rule.secret_group {
                Some(g) => caps.get(g),
                None => caps
                    .iter()
                    .skip(1)
                    .flatten()
                    .find(|c| !c.is_empty())
                    .or(Some(full)),
            };
            let Some(secret) = secret else {
                continue;
            };
            let value = secret.as_str();
            if value.is_empty()
                || is_placeholder(value)
                || (rule.min_entropy > 0.0 && shannon_entropy(value) <= rule.min_entropy)
            {
                continue;
            }
            let line = line_around(text, full.start(), full.end());
            if rule
                .allowlists()
                .iter()
                .any(|a| a.allows(value, full.as_str(), line))
            {
                continue;
            }
            out.push(Finding {
                kind: rule.kind.clone(),
                rule: rule.id.clone(),
                start: secret.start(),
                end: secret.end(),
            });
        }
    }
}

/// How many rules the catalogue holds, and how many failed to compile.
pub fn stats() -> (usize, usize) {
    let cat = &*CATALOGUE_RULES;
    let failed = cat.rules.iter().filter(|r| r.regex().is_none()).count();
    (cat.rules.len(), failed)
}
