//! The rubric document: ordered, weighted criteria, a pass threshold and a
//! maximum number of iterations, as versioned JSON (`"schema":
//! "reverie.rubric/1"`).
//!
//! Owns parsing (with the line, column and field of every mistake), semantic
//! validation (weights, threshold, regexes, JSON Schemas, globs) and the
//! canonical export, whose output is a fixed point: import → export → import
//! → export gives the same bytes. It never runs a check; see `checks`.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// The version tag every rubric document carries.
pub const RUBRIC_SCHEMA: &str = "reverie.rubric/1";
/// Iterations an outcome gets when the rubric does not say.
pub const DEFAULT_MAX_ITERATIONS: u32 = 3;
/// The most iterations a rubric may ask for.
pub const MAX_ITERATIONS_LIMIT: u32 = 20;
/// The largest rubric document read (a rubric is a page of criteria, not data).
pub const MAX_RUBRIC_BYTES: usize = 1 << 20;
/// The most criteria one rubric may have.
pub const MAX_CRITERIA: usize = 100;
/// The longest regular expression a `regex` criterion may use.
pub const MAX_PATTERN_BYTES: usize = 4096;
/// The most memory a compiled pattern may take.
const MAX_COMPILED_PATTERN_BYTES: usize = 2 << 20;

/// Reads a rubric file without ever holding more than [`MAX_RUBRIC_BYTES`]
/// of it (so `/dev/zero` or a huge file is refused, not read).
pub fn read_rubric_file(path: &std::path::Path) -> crate::Result<String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| crate::Error::Invalid(format!("could not read {shown} ({e})")))?;
    let mut bytes = Vec::new();
    file.take(MAX_RUBRIC_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::Error::Invalid(format!("could not read {shown} ({e})")))?;
    if bytes.len() > MAX_RUBRIC_BYTES {
        return Err(crate::Error::Invalid(format!(
            "{shown} is larger than {} kB; a rubric document is at most that big — is it the right file?",
            MAX_RUBRIC_BYTES >> 10
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        crate::Error::Invalid(format!(
            "{shown} is not UTF-8 text; a rubric is a JSON document"
        ))
    })
}

/// A rubric: what a good output looks like, criterion by criterion.
///
/// Build one with [`Rubric::from_json`] (or serde's `Deserialize`, which runs
/// the same validation); export with [`Rubric::to_json`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rubric {
    pub name: String,
    pub description: String,
    /// The weighted score (0..=1) an output needs to pass.
    pub threshold: f64,
    /// Attempts the agent gets (1..=20, default 3).
    pub max_iterations: u32,
    pub criteria: Vec<Criterion>,
}

/// One criterion. A failed `required` criterion fails the outcome whatever
/// the weighted score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub name: String,
    /// Relative weight, greater than 0.
    pub weight: f64,
    pub required: bool,
    pub kind: CriterionKind,
}

/// How a criterion is decided: by the grader model (`Judged`) or exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CriterionKind {
    /// A plain-language description the grader model judges the output by.
    Judged { description: String },
    /// The output must (or must not) contain a match. `flags` is any of
    /// `i` (ignore case), `m` (^ and $ per line), `s` (. matches newline),
    /// `x` (verbose), `U` (swap greed).
    Regex {
        pattern: String,
        must_match: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        flags: Option<String>,
    },
    /// A word or character count between `min` and `max`, of the whole
    /// output or of one section (the text under the markdown heading named
    /// `section`, up to the next heading of the same or a higher level).
    Length {
        unit: LengthUnit,
        #[serde(skip_serializing_if = "Option::is_none")]
        min: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        section: Option<String>,
    },
    /// Markdown headings that must appear. `"Summary"` matches a heading of
    /// any level; `"## Summary"` only a level-2 one. Case and a trailing
    /// colon are ignored.
    Headings { required: Vec<String> },
    /// The output (or its first ```json block) must be JSON valid against
    /// this JSON Schema.
    JsonSchema { schema: Value },
    /// Every output file whose name matches `path` (a file name or a glob
    /// such as `*.pptx`, case ignored) must open as `format`; at least one
    /// must exist.
    FileType { path: String, format: FileFormat },
    /// The code must parse without syntax errors.
    CodeParses {
        language: CodeLanguage,
        source: CodeSource,
    },
}

impl CriterionKind {
    /// The `type` tag, as written in the document.
    pub fn type_name(&self) -> &'static str {
        match self {
            CriterionKind::Judged { .. } => "judged",
            CriterionKind::Regex { .. } => "regex",
            CriterionKind::Length { .. } => "length",
            CriterionKind::Headings { .. } => "headings",
            CriterionKind::JsonSchema { .. } => "json_schema",
            CriterionKind::FileType { .. } => "file_type",
            CriterionKind::CodeParses { .. } => "code_parses",
        }
    }

    /// True for every kind decided here, without a model.
    pub fn is_exact(&self) -> bool {
        !matches!(self, CriterionKind::Judged { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    /// Whitespace-separated runs holding at least one letter or digit (so a
    /// lone `-` bullet is not a word), as word processors count.
    Words,
    /// Unicode characters, spaces included, of the trimmed text.
    Characters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Docx,
    Pptx,
    Xlsx,
    Pdf,
    Csv,
}

impl FileFormat {
    /// What a person calls a file of this format.
    pub fn describe(self) -> &'static str {
        match self {
            FileFormat::Docx => "Word document (.docx)",
            FileFormat::Pptx => "PowerPoint deck (.pptx)",
            FileFormat::Xlsx => "Excel workbook (.xlsx)",
            FileFormat::Pdf => "PDF",
            FileFormat::Csv => "CSV file",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeLanguage {
    Python,
    Rust,
}

impl CodeLanguage {
    pub fn display_name(self) -> &'static str {
        match self {
            CodeLanguage::Python => "Python",
            CodeLanguage::Rust => "Rust",
        }
    }

    /// The fence tag to ask for in feedback (```python).
    pub fn fence_tag(self) -> &'static str {
        match self {
            CodeLanguage::Python => "python",
            CodeLanguage::Rust => "rust",
        }
    }

    /// The file extension asked for in feedback.
    pub fn file_extension(self) -> &'static str {
        match self {
            CodeLanguage::Python => ".py",
            CodeLanguage::Rust => ".rs",
        }
    }

    /// Whether an output file's name marks it as code in this language.
    pub fn matches_file(self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        match self {
            CodeLanguage::Python => name.ends_with(".py") || name.ends_with(".pyw"),
            CodeLanguage::Rust => name.ends_with(".rs"),
        }
    }

    /// Whether a fenced block's info string names this language.
    pub fn matches_fence(self, tag: &str) -> bool {
        let tag = tag.to_ascii_lowercase();
        match self {
            CodeLanguage::Python => matches!(tag.as_str(), "python" | "py" | "python3" | "py3"),
            CodeLanguage::Rust => matches!(tag.as_str(), "rust" | "rs"),
        }
    }
}

/// Where the code to parse is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeSource {
    /// The whole output text is the code.
    WholeOutput,
    /// Every fenced block tagged with the language (at least one).
    FencedBlocks,
    /// Every output file with the language's extension (`.py`, `.rs`; at
    /// least one).
    Files,
}

/// A rubric that cannot be used, and where: 1-based line and column in the
/// document (when known) and the field path, e.g. `criteria[2].kind.pattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Empty when the mistake is the document as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for RubricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the rubric is not valid")?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " at line {line}, column {column}")?;
        }
        if !self.field.is_empty() {
            write!(f, ", field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RubricError {}

impl From<RubricError> for crate::Error {
    fn from(e: RubricError) -> Self {
        crate::Error::Invalid(e.to_string())
    }
}

impl Rubric {
    /// Parses and validates a rubric document. Every error names the line,
    /// column and field to fix.
    pub fn from_json(text: &str) -> Result<Rubric, RubricError> {
        if text.len() > MAX_RUBRIC_BYTES {
            return Err(RubricError {
                line: None,
                column: None,
                field: String::new(),
                message: format!(
                    "the document is {} kB; a rubric is at most {} kB",
                    text.len() >> 10,
                    MAX_RUBRIC_BYTES >> 10
                ),
            });
        }
        // serde would also read a struct from an array; a rubric is an object.
        let start = text.len() - text.trim_start().len();
        if let Some(first) = text[start..].chars().next()
            && first != '{'
        {
            let (line, column) = line_column(text, start);
            return Err(RubricError {
                line: Some(line),
                column: Some(column),
                field: String::new(),
                message: "a rubric is a JSON object that starts with `{`".into(),
            });
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let raw: RawRubric = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| json_error(e.inner(), e.path().to_string()))?;
        de.end().map_err(|e| json_error(&e, String::new()))?;
        validate(raw).map_err(|(path, message)| {
            let (line, column) = locate(text, &path).unzip();
            RubricError {
                line,
                column,
                field: path_to_string(&path),
                message,
            }
        })
    }

    /// The canonical document: fields in a fixed order, two-space indents,
    /// a final newline. Importing it and exporting again gives these bytes.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a rubric serializes: string keys, finite numbers");
        text.push('\n');
        text
    }

    /// Checks a rubric built in code by the same rules as an imported one
    /// (positions then refer to [`Rubric::to_json`]'s text).
    pub fn validate(&self) -> Result<(), RubricError> {
        Rubric::from_json(&self.to_json()).map(|_| ())
    }

    /// Sum of the criteria's weights.
    pub fn total_weight(&self) -> f64 {
        self.criteria.iter().map(|c| c.weight).sum()
    }
}

impl Serialize for Rubric {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Rubric", 6)?;
        s.serialize_field("schema", RUBRIC_SCHEMA)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("description", &self.description)?;
        s.serialize_field("threshold", &self.threshold)?;
        s.serialize_field("max_iterations", &self.max_iterations)?;
        s.serialize_field("criteria", &self.criteria)?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for Rubric {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawRubric::deserialize(deserializer)?;
        validate(raw).map_err(|(path, message)| {
            serde::de::Error::custom(format!("field `{}`: {message}", path_to_string(&path)))
        })
    }
}

/// A serde_json error as a [`RubricError`], its position moved out of the
/// message into the fields.
fn json_error(e: &serde_json::Error, field: String) -> RubricError {
    let (line, column) = (e.line(), e.column());
    let mut message = e.to_string();
    if let Some(stripped) = message.strip_suffix(&format!(" at line {line} column {column}")) {
        message = stripped.to_string();
    }
    RubricError {
        line: (line > 0).then_some(line),
        column: (line > 0).then_some(column),
        field: if field == "." { String::new() } else { field },
        message,
    }
}

/// The three rubrics offered to someone who has never written one.
pub fn starter_rubrics() -> Vec<Rubric> {
    STARTERS
        .iter()
        .map(|(file, text)| {
            Rubric::from_json(text)
                .unwrap_or_else(|e| panic!("starter rubric {file} is valid (tested): {e}"))
        })
        .collect()
}

/// The starter documents as shipped, for tests and for the app to show as is.
pub const STARTERS: [(&str, &str); 3] = [
    ("report.json", include_str!("starters/report.json")),
    (
        "python_script.json",
        include_str!("starters/python_script.json"),
    ),
    ("slide_deck.json", include_str!("starters/slide_deck.json")),
];

/// Builds the regex a `regex` criterion describes.
pub(crate) fn build_regex(pattern: &str, flags: Option<&str>) -> Result<regex::Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "the pattern is {} bytes long; keep it under {MAX_PATTERN_BYTES}",
            pattern.len()
        ));
    }
    let mut builder = regex::RegexBuilder::new(pattern);
    builder.size_limit(MAX_COMPILED_PATTERN_BYTES);
    for flag in flags.unwrap_or("").chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            'U' => builder.swap_greed(true),
            other => {
                return Err(format!(
                    "unknown regex flag `{other}`; use any of i (ignore case), m (multi-line), s (dot matches newline), x (verbose), U (swap greed)"
                ));
            }
        };
    }
    builder.build().map_err(|e| {
        // The regex error is a multi-line diagram; its last line says what is wrong.
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(text.trim())
            .to_string();
        format!("the pattern is not a valid regular expression ({reason})")
    })
}

/// Builds a glob for a `file_type` criterion's `path`.
pub(crate) fn build_glob(path: &str) -> Result<glob::Pattern, String> {
    glob::Pattern::new(path).map_err(|e| format!("`{path}` is not a valid file name pattern ({e})"))
}

// ---------------------------------------------------------------------------
// Parsing. The raw shapes mirror the document loosely (every kind's fields
// in one flat struct) so serde reports the exact field of a type mistake;
// `validate` then enforces which fields each kind takes.

fn default_max_iterations() -> i64 {
    DEFAULT_MAX_ITERATIONS as i64
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a rubric object with schema, name, threshold and criteria"
)]
struct RawRubric {
    schema: String,
    name: String,
    #[serde(default)]
    description: String,
    threshold: f64,
    // Signed and wide so 0, -1 or 50 get the rubric's own message.
    #[serde(default = "default_max_iterations")]
    max_iterations: i64,
    criteria: Vec<RawCriterion>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a criterion object with name, weight, required and kind"
)]
struct RawCriterion {
    name: String,
    weight: f64,
    #[serde(default)]
    required: bool,
    kind: RawKind,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum KindType {
    Judged,
    Regex,
    Length,
    Headings,
    JsonSchema,
    FileType,
    CodeParses,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a criterion kind: an object with a \"type\" and that type's fields"
)]
struct RawKind {
    #[serde(rename = "type")]
    kind_type: KindType,
    description: Option<String>,
    pattern: Option<String>,
    must_match: Option<bool>,
    flags: Option<String>,
    unit: Option<LengthUnit>,
    min: Option<u64>,
    max: Option<u64>,
    section: Option<String>,
    required: Option<Vec<String>>,
    schema: Option<Value>,
    path: Option<String>,
    format: Option<FileFormat>,
    language: Option<CodeLanguage>,
    source: Option<CodeSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

type Path = Vec<Seg>;
type Invalid = (Path, String);

fn key(path: &[Seg], name: &str) -> Path {
    let mut p = path.to_vec();
    p.push(Seg::Key(name.to_string()));
    p
}

fn path_to_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn validate(raw: RawRubric) -> Result<Rubric, Invalid> {
    let root: Path = Vec::new();
    if raw.schema != RUBRIC_SCHEMA {
        return Err((
            key(&root, "schema"),
            format!(
                "this Reverie reads rubrics marked \"schema\": \"{RUBRIC_SCHEMA}\", not \"{}\"",
                raw.schema
            ),
        ));
    }
    if raw.name.trim().is_empty() {
        return Err((key(&root, "name"), "give the rubric a name".into()));
    }
    if !(raw.threshold.is_finite() && (0.0..=1.0).contains(&raw.threshold)) {
        return Err((
            key(&root, "threshold"),
            format!(
                "threshold must be between 0 and 1 (the share of the weighted score an output needs), not {}",
                raw.threshold
            ),
        ));
    }
    if !(1..=MAX_ITERATIONS_LIMIT as i64).contains(&raw.max_iterations) {
        return Err((
            key(&root, "max_iterations"),
            format!(
                "max_iterations must be between 1 and {MAX_ITERATIONS_LIMIT}, not {}",
                raw.max_iterations
            ),
        ));
    }
    if raw.criteria.is_empty() {
        return Err((key(&root, "criteria"), "add at least one criterion".into()));
    }
    if raw.criteria.len() > MAX_CRITERIA {
        return Err((
            key(&root, "criteria"),
            format!(
                "the rubric has {} criteria; keep it to {MAX_CRITERIA} or fewer (split it into several rubrics)",
                raw.criteria.len()
            ),
        ));
    }
    let mut names = HashSet::new();
    let mut criteria = Vec::with_capacity(raw.criteria.len());
    for (i, c) in raw.criteria.into_iter().enumerate() {
        let mut at = key(&root, "criteria");
        at.push(Seg::Index(i));
        if c.name.trim().is_empty() {
            return Err((key(&at, "name"), "give the criterion a name".into()));
        }
        if !names.insert(c.name.clone()) {
            return Err((
                key(&at, "name"),
                format!(
                    "two criteria are named \"{}\"; give each a distinct name",
                    c.name
                ),
            ));
        }
        if !(c.weight.is_finite() && c.weight > 0.0) {
            return Err((
                key(&at, "weight"),
                format!("weight must be greater than 0, not {}", c.weight),
            ));
        }
        let kind = validate_kind(c.kind, &key(&at, "kind"))?;
        criteria.push(Criterion {
            name: c.name,
            weight: c.weight,
            required: c.required,
            kind,
        });
    }
    Ok(Rubric {
        name: raw.name,
        description: raw.description,
        threshold: raw.threshold,
        max_iterations: raw.max_iterations as u32,
        criteria,
    })
}

fn validate_kind(raw: RawKind, at: &[Seg]) -> Result<CriterionKind, Invalid> {
    let (type_name, allowed): (&str, &[&str]) = match raw.kind_type {
        KindType::Judged => ("judged", &["description"]),
        KindType::Regex => ("regex", &["pattern", "must_match", "flags"]),
        KindType::Length => ("length", &["unit", "min", "max", "section"]),
        KindType::Headings => ("headings", &["required"]),
        KindType::JsonSchema => ("json_schema", &["schema"]),
        KindType::FileType => ("file_type", &["path", "format"]),
        KindType::CodeParses => ("code_parses", &["language", "source"]),
    };
    let present = [
        ("description", raw.description.is_some()),
        ("pattern", raw.pattern.is_some()),
        ("must_match", raw.must_match.is_some()),
        ("flags", raw.flags.is_some()),
        ("unit", raw.unit.is_some()),
        ("min", raw.min.is_some()),
        ("max", raw.max.is_some()),
        ("section", raw.section.is_some()),
        ("required", raw.required.is_some()),
        ("schema", raw.schema.is_some()),
        ("path", raw.path.is_some()),
        ("format", raw.format.is_some()),
        ("language", raw.language.is_some()),
        ("source", raw.source.is_some()),
    ];
    if let Some((field, _)) = present.iter().find(|(f, p)| *p && !allowed.contains(f)) {
        return Err((
            key(at, field),
            format!(
                "`{field}` does not belong to a `{type_name}` criterion, which takes {}; remove it or change the type",
                allowed
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let need = |field: &str| {
        (
            at.to_vec(),
            format!("a `{type_name}` criterion needs `{field}`"),
        )
    };
    let kind = match raw.kind_type {
        KindType::Judged => {
            let description = raw.description.ok_or_else(|| need("description"))?;
            if description.trim().is_empty() {
                return Err((
                    key(at, "description"),
                    "describe in plain words what the grader should look for".into(),
                ));
            }
            CriterionKind::Judged { description }
        }
        KindType::Regex => {
            let pattern = raw.pattern.ok_or_else(|| need("pattern"))?;
            if pattern.is_empty() {
                return Err((
                    key(at, "pattern"),
                    "the pattern is empty; it would match any output".into(),
                ));
            }
            if let Err(message) = build_regex(&pattern, raw.flags.as_deref()) {
                let field = if message.starts_with("unknown regex flag") {
                    "flags"
                } else {
                    "pattern"
                };
                return Err((key(at, field), message));
            }
            CriterionKind::Regex {
                pattern,
                must_match: raw.must_match.unwrap_or(true),
                flags: raw.flags,
            }
        }
        KindType::Length => {
            let unit = raw.unit.ok_or_else(|| need("unit"))?;
            if raw.min.is_none() && raw.max.is_none() {
                return Err((
                    at.to_vec(),
                    "a `length` criterion needs `min`, `max` or both".into(),
                ));
            }
            if let (Some(min), Some(max)) = (raw.min, raw.max)
                && min > max
            {
                return Err((
                    key(at, "min"),
                    format!("min ({min}) is greater than max ({max})"),
                ));
            }
            if let Some(section) = &raw.section
                && crate::outcome::markdown::normalize_heading(section)
                    .1
                    .is_empty()
            {
                return Err((
                    key(at, "section"),
                    "name the section by its heading text, e.g. \"Summary\"".into(),
                ));
            }
            CriterionKind::Length {
                unit,
                min: raw.min,
                max: raw.max,
                section: raw.section,
            }
        }
        KindType::Headings => {
            let required = raw.required.ok_or_else(|| need("required"))?;
            if required.is_empty() {
                return Err((key(at, "required"), "list at least one heading".into()));
            }
            if let Some(i) = required
                .iter()
                .position(|h| crate::outcome::markdown::normalize_heading(h).1.is_empty())
            {
                let mut p = key(at, "required");
                p.push(Seg::Index(i));
                return Err((p, "a required heading is empty".into()));
            }
            CriterionKind::Headings { required }
        }
        KindType::JsonSchema => {
            let schema = raw.schema.ok_or_else(|| need("schema"))?;
            if !(schema.is_object() || schema.is_boolean()) {
                return Err((
                    key(at, "schema"),
                    "a JSON Schema is an object (or true/false)".into(),
                ));
            }
            if let Err(e) = jsonschema::validator_for(&schema) {
                return Err((
                    key(at, "schema"),
                    format!("this is not a usable JSON Schema ({e})"),
                ));
            }
            CriterionKind::JsonSchema { schema }
        }
        KindType::FileType => {
            let path = raw.path.ok_or_else(|| need("path"))?;
            let format = raw.format.ok_or_else(|| need("format"))?;
            if path.trim().is_empty() {
                return Err((
                    key(at, "path"),
                    "give a file name or a pattern such as `*.pptx`".into(),
                ));
            }
            build_glob(&path).map_err(|m| (key(at, "path"), m))?;
            CriterionKind::FileType { path, format }
        }
        KindType::CodeParses => {
            let language = raw.language.ok_or_else(|| need("language"))?;
            CriterionKind::CodeParses {
                language,
                source: raw.source.unwrap_or(CodeSource::FencedBlocks),
            }
        }
    };
    Ok(kind)
}

/// Finds the 1-based line and column of the value at `path` in `text`, or
/// of the deepest part of the path that exists. Uses serde_json's raw
/// values, which are slices of `text`, so the offset is exact.
fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let mut current: &RawValue = serde_json::from_str(text).ok()?;
    for seg in path {
        let next: Option<&RawValue> = match seg {
            Seg::Key(k) => serde_json::from_str::<HashMap<String, &RawValue>>(current.get())
                .ok()
                .and_then(|m| m.get(k).copied()),
            Seg::Index(i) => serde_json::from_str::<Vec<&RawValue>>(current.get())
                .ok()
                .and_then(|v| v.get(*i).copied()),
        };
        match next {
            Some(n) => current = n,
            None => break,
        }
    }
    let offset = (current.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    text.is_char_boundary(offset)
        .then(|| line_column(text, offset))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}
