//! The exact checks: every non-judged criterion of a rubric decided against
//! an output, without a model, each verdict with quoted evidence and a gap
//! sentence the agent can act on ("The "Summary" section has 212 words; cut
//! it to at most 150.").
//!
//! Reads the output (and its files) only; never writes, never calls a model.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::outcome::code::{SyntaxChecker, SyntaxProblem};
use crate::outcome::file_formats;
use crate::outcome::markdown::{
    Markdown, count_characters, count_words, line_of, normalize_heading,
};
use crate::outcome::rubric::{
    CodeLanguage, CodeSource, Criterion, CriterionKind, FileFormat, LengthUnit, Rubric, build_glob,
    build_regex,
};
use crate::outcome::verdict::CriterionVerdict;

/// What an agent produced: its final text and any files it wrote.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub text: String,
    pub files: Vec<OutputFile>,
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// The name the agent gave it, possibly with folders (`slides/deck.pptx`).
    pub name: String,
    pub content: FileContent,
}

#[derive(Debug, Clone)]
pub enum FileContent {
    Bytes(Vec<u8>),
    /// Read when a check needs it.
    Path(PathBuf),
}

impl OutputFile {
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        OutputFile {
            name: name.into(),
            content: FileContent::Bytes(bytes),
        }
    }

    pub fn from_path(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        OutputFile {
            name: name.into(),
            content: FileContent::Path(path.into()),
        }
    }

    fn read(&self) -> Result<Cow<'_, [u8]>, String> {
        match &self.content {
            FileContent::Bytes(b) => Ok(b.into()),
            FileContent::Path(p) => std::fs::read(p)
                .map(Into::into)
                .map_err(|e| format!("it could not be read ({e})")),
        }
    }
}

/// Longest quote kept as evidence.
const QUOTE_CHARS: usize = 120;

/// Runs every exact (non-judged) criterion of `rubric` on `output` and
/// returns their verdicts in rubric order. Judged criteria get no verdict
/// here; the grader adds them.
///
/// Criteria are independent, so they run on up to one thread per core
/// (code parsing, the costly part, starts first); the markdown structure is
/// parsed once and shared.
pub fn run_exact_checks(rubric: &Rubric, output: &Output) -> Vec<CriterionVerdict> {
    let markdown = OnceLock::new();
    let mut work: Vec<(usize, &Criterion)> = rubric
        .criteria
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind.is_exact())
        .collect();
    work.sort_by_key(|(i, c)| (!matches!(c.kind, CriterionKind::CodeParses { .. }), *i));
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(work.len());
    let mut verdicts: Vec<CriterionVerdict> = if threads <= 1 {
        work.iter()
            .map(|(i, c)| run_one(*i, c, output, &markdown))
            .collect()
    } else {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        while let Some((i, c)) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                            done.push(run_one(*i, c, output, &markdown));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    verdicts.sort_by_key(|v| v.criterion_index);
    verdicts
}

fn run_one<'a>(
    index: usize,
    criterion: &Criterion,
    output: &'a Output,
    markdown: &'a OnceLock<Markdown<'a>>,
) -> CriterionVerdict {
    let md = || markdown.get_or_init(|| Markdown::parse(&output.text));
    let check = match &criterion.kind {
        CriterionKind::Judged { .. } => unreachable!("judged criteria are filtered out"),
        CriterionKind::Regex {
            pattern,
            must_match,
            flags,
        } => check_regex(&output.text, pattern, flags.as_deref(), *must_match),
        CriterionKind::Length {
            unit,
            min,
            max,
            section,
        } => check_length(md, *unit, *min, *max, section.as_deref()),
        CriterionKind::Headings { required } => check_headings(md(), required),
        CriterionKind::JsonSchema { schema } => check_json_schema(&output.text, md, schema),
        CriterionKind::FileType { path, format } => check_file_type(&output.files, path, *format),
        CriterionKind::CodeParses { language, source } => {
            check_code(output, md, *language, *source)
        }
    };
    CriterionVerdict {
        criterion_index: index,
        name: criterion.name.clone(),
        passed: check.passed,
        score: check.score,
        evidence: check.evidence,
        gap: check.gap,
    }
}

struct Check {
    passed: bool,
    score: f64,
    evidence: String,
    gap: Option<String>,
}

impl Check {
    fn pass(evidence: impl Into<String>) -> Check {
        Check {
            passed: true,
            score: 1.0,
            evidence: evidence.into(),
            gap: None,
        }
    }

    fn fail(evidence: impl Into<String>, gap: impl Into<String>) -> Check {
        Check {
            passed: false,
            score: 0.0,
            evidence: evidence.into(),
            gap: Some(gap.into()),
        }
    }
}

/// A short, single-line quote of `text`.
fn quote(text: &str) -> String {
    format!("\"{}\"", clip(text))
}

/// `text` on one line, cut to [`QUOTE_CHARS`] characters.
fn clip(text: &str) -> String {
    // Only the head matters; never flatten a megabyte to quote 120 characters.
    let mut head_end = text.len().min(QUOTE_CHARS * 8);
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let flat: String = text[..head_end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= QUOTE_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(QUOTE_CHARS).collect();
        format!("{}…", cut.trim_end())
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn check_regex(text: &str, pattern: &str, flags: Option<&str>, must_match: bool) -> Check {
    let regex = match build_regex(pattern, flags) {
        Ok(r) => r,
        Err(e) => {
            return Check::fail(
                "",
                format!("The rubric's pattern cannot be used ({e}); the rubric must be fixed."),
            );
        }
    };
    let shown = format!("/{pattern}/{}", flags.unwrap_or(""));
    let mut matches = regex.find_iter(text);
    match (must_match, matches.next()) {
        (true, Some(m)) => Check::pass(format!(
            "line {}: {}",
            line_of(text, m.start()),
            quote(m.as_str())
        )),
        (true, None) => Check::fail(
            "no text in the output matches",
            format!(
                "Add text that matches the pattern {shown}; nothing in the output matches it yet."
            ),
        ),
        (false, None) => Check::pass(format!("no text matches {shown}")),
        (false, Some(m)) => {
            let others = matches.count() as u64;
            let line = line_of(text, m.start());
            let more = if others == 0 {
                String::new()
            } else {
                format!(" and {}", plural(others, "more place", "more places"))
            };
            Check::fail(
                format!("line {line}: {}", quote(m.as_str())),
                format!(
                    "Remove or reword {} at line {line}{more}: the output must not match the pattern {shown}.",
                    quote(m.as_str())
                ),
            )
        }
    }
}

fn check_length<'a>(
    md: impl Fn() -> &'a Markdown<'a>,
    unit: LengthUnit,
    min: Option<u64>,
    max: Option<u64>,
    section: Option<&str>,
) -> Check {
    let md = md();
    let (scope_text, scope_name) = match section {
        None => (md.visible.as_str(), "The output".to_string()),
        Some(name) => match md.find_heading(name) {
            Some(i) => (
                md.section(i),
                format!(
                    "The \"{}\" section (line {})",
                    md.headings[i].text.trim(),
                    md.heading_line(i)
                ),
            ),
            None => {
                let bare = name.trim().trim_start_matches('#').trim();
                return Check::fail(
                    format!("no heading \"{bare}\" in the output"),
                    format!(
                        "Add a section under a \"{bare}\" heading (e.g. \"## {bare}\"); the output has no such heading, so its length cannot be checked."
                    ),
                );
            }
        },
    };
    let (count, one, many) = match unit {
        LengthUnit::Words => (count_words(scope_text), "word", "words"),
        LengthUnit::Characters => (count_characters(scope_text), "character", "characters"),
    };
    let has = plural(count, one, many);
    let evidence = format!(
        "{} ({has}): {}",
        scope_name.trim_start_matches("The "),
        quote(scope_text)
    );
    if let Some(max) = max
        && count > max
    {
        return Check::fail(
            evidence,
            format!("{scope_name} has {has}; cut it to at most {max}."),
        );
    }
    if let Some(min) = min
        && count < min
    {
        return Check::fail(
            evidence,
            format!("{scope_name} has {has}; expand it to at least {min}."),
        );
    }
    Check::pass(evidence)
}

fn check_headings(md: &Markdown<'_>, required: &[String]) -> Check {
    let missing: Vec<&String> = required
        .iter()
        .filter(|h| md.find_heading(h).is_none())
        .collect();
    let found: Vec<&str> = md.headings.iter().map(|h| h.text.trim()).collect();
    let evidence = if found.is_empty() {
        "the output has no markdown headings".to_string()
    } else {
        format!("headings found: {}", quote(&found.join(" | ")))
    };
    if missing.is_empty() {
        return Check::pass(evidence);
    }
    let names: Vec<String> = missing
        .iter()
        .map(|h| {
            let (level, _) = normalize_heading(h);
            let bare = h.trim().trim_start_matches('#').trim();
            format!("\"{} {bare}\"", "#".repeat(level.unwrap_or(2) as usize))
        })
        .collect();
    let list = match names.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => unreachable!("missing is not empty"),
    };
    let noun = if names.len() == 1 {
        "heading"
    } else {
        "headings"
    };
    let mut check = Check::fail(
        evidence,
        format!("Add the missing {noun} {list} as markdown headings."),
    );
    check.score = (required.len() - missing.len()) as f64 / required.len() as f64;
    check
}

fn check_json_schema<'a>(
    text: &'a str,
    md: impl Fn() -> &'a Markdown<'a>,
    schema: &serde_json::Value,
) -> Check {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            return Check::fail(
                "",
                format!("The rubric's JSON Schema cannot be used ({e}); the rubric must be fixed."),
            );
        }
    };
    // The whole output if it is JSON; else its first ```json block.
    let (where_, source, instance) = match serde_json::from_str::<serde_json::Value>(text.trim()) {
        Ok(v) => ("The JSON output".to_string(), text, v),
        Err(whole_error) => {
            let md = md();
            match md
                .code_blocks
                .iter()
                .find(|b| b.tag.eq_ignore_ascii_case("json"))
            {
                Some(block) => match serde_json::from_str::<serde_json::Value>(&block.content) {
                    Ok(v) => (
                        format!("The ```json block at line {}", block.first_line),
                        block.content.as_str(),
                        v,
                    ),
                    Err(e) => {
                        let line = block.first_line + e.line().saturating_sub(1);
                        return Check::fail(
                            quote(
                                block
                                    .content
                                    .lines()
                                    .nth(e.line().saturating_sub(1))
                                    .unwrap_or(""),
                            ),
                            format!(
                                "The ```json block at line {} is not valid JSON ({}, at line {line} column {}); fix the syntax there.",
                                block.first_line,
                                json_reason(&e),
                                e.column()
                            ),
                        );
                    }
                },
                None if text.trim_start().starts_with(['{', '[']) => {
                    return Check::fail(
                        quote(
                            text.lines()
                                .nth(whole_error.line().saturating_sub(1))
                                .unwrap_or(""),
                        ),
                        format!(
                            "The output is not valid JSON ({}, at line {} column {}); fix the syntax there.",
                            json_reason(&whole_error),
                            whole_error.line(),
                            whole_error.column()
                        ),
                    );
                }
                None => {
                    return Check::fail(
                        "no JSON in the output",
                        "Give the answer as JSON, either as the whole output or in a ```json fenced block; the output has none.",
                    );
                }
            }
        }
    };
    let errors: Vec<_> = validator.iter_errors(&instance).collect();
    let Some(first) = errors.first() else {
        return Check::pass(format!(
            "{} matches the schema: {}",
            where_.trim_start_matches("The "),
            quote(source)
        ));
    };
    let at = first.instance_path().as_str();
    let place = if at.is_empty() {
        "at the top level".to_string()
    } else {
        format!("at {at}")
    };
    let more = match errors.len() - 1 {
        0 => String::new(),
        n => format!(
            " (and {})",
            plural(n as u64, "other problem", "other problems")
        ),
    };
    Check::fail(
        format!("{place}: {}", clip(&truncated_json(first.instance()))),
        format!("{where_} does not match the schema {place}: {first}; fix it{more}."),
    )
}

/// A JSON value as text, cut short for quoting (a failing value may be the
/// whole document).
fn truncated_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(m) if m.len() > 8 => format!("{{…{} fields…}}", m.len()),
        serde_json::Value::Array(a) if a.len() > 8 => format!("[…{} items…]", a.len()),
        other => other.to_string(),
    }
}

/// serde_json's reason without its position.
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&text)
        .to_string()
}

fn check_file_type(files: &[OutputFile], path: &str, format: FileFormat) -> Check {
    let pattern = match build_glob(path) {
        Ok(p) => p,
        Err(e) => {
            return Check::fail(
                "",
                format!(
                    "The rubric's file pattern cannot be used ({e}); the rubric must be fixed."
                ),
            );
        }
    };
    let options = glob::MatchOptions {
        case_sensitive: false,
        ..Default::default()
    };
    let matching: Vec<&OutputFile> = files
        .iter()
        .filter(|f| {
            let base = f.name.rsplit(['/', '\\']).next().unwrap_or(&f.name);
            pattern.matches_with(&f.name, options)
                || (!path.contains('/') && pattern.matches_with(base, options))
        })
        .collect();
    if matching.is_empty() {
        let listed = if files.is_empty() {
            "the output has no files".to_string()
        } else {
            format!(
                "the output's files are {}",
                files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Check::fail(
            listed.clone(),
            format!(
                "Produce a {} named like \"{path}\"; {listed}.",
                format.describe()
            ),
        );
    }
    let mut found = Vec::new();
    for file in matching {
        let opened = file
            .read()
            .and_then(|bytes| file_formats::open(format, &bytes));
        match opened {
            Ok(what) => found.push(format!("{} opens as {what}", file.name)),
            Err(problem) => {
                return Check::fail(
                    format!("{}: {problem}", file.name),
                    format!(
                        "{} does not open as a {}: {problem}; write it again as a valid file.",
                        file.name,
                        format.describe()
                    ),
                );
            }
        }
    }
    Check::pass(found.join("; "))
}

/// Code below this size is parsed on one thread: splitting it costs more
/// than it saves.
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// The first piece (in order) that does not parse, and its problem. Big
/// inputs are split into runs of pieces of about equal size, parsed on all
/// cores (parsing is the slowest exact check by far).
#[allow(clippy::type_complexity)]
fn first_syntax_problem(
    language: CodeLanguage,
    pieces: &[(String, usize, Cow<'_, str>)],
) -> Result<Option<(usize, SyntaxProblem)>, (Option<usize>, String)> {
    let parse_run = |start: usize, run: &[(String, usize, Cow<'_, str>)]| {
        let mut checker = SyntaxChecker::new(language).map_err(|e| (None, e))?;
        for (offset, (_, _, code)) in run.iter().enumerate() {
            match checker.first_problem(code) {
                Ok(None) => {}
                Ok(Some(problem)) => return Ok(Some((start + offset, problem))),
                Err(e) => return Err((Some(start + offset), e)),
            }
        }
        Ok(None)
    };
    let total: usize = pieces.iter().map(|(_, _, code)| code.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(pieces.len());
    if threads <= 1 || total < PARALLEL_PARSE_BYTES {
        return parse_run(0, pieces);
    }
    // Contiguous runs of about total/threads bytes each.
    let mut runs = Vec::with_capacity(threads);
    let (mut start, mut size) = (0, 0);
    for (i, (_, _, code)) in pieces.iter().enumerate() {
        size += code.len();
        if size * threads >= total * (runs.len() + 1) && runs.len() + 1 < threads {
            runs.push(start..i + 1);
            start = i + 1;
        }
    }
    runs.push(start..pieces.len());
    let results: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = runs
            .iter()
            .map(|range| {
                let range = range.clone();
                scope.spawn(move || parse_run(range.start, &pieces[range]))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    // Runs are in order, so the first problem found in run order is the
    // first in the output.
    for result in results {
        if !matches!(result, Ok(None)) {
            return result;
        }
    }
    Ok(None)
}

fn check_code<'a>(
    output: &'a Output,
    md: impl Fn() -> &'a Markdown<'a>,
    language: CodeLanguage,
    source: CodeSource,
) -> Check {
    let lang = language.display_name();
    let text = output.text.as_str();
    // (where the code is, its first line there, the code)
    let pieces: Vec<(String, usize, Cow<'_, str>)> = match source {
        CodeSource::WholeOutput => {
            if text.trim().is_empty() {
                return Check::fail(
                    "the output is empty",
                    format!("Write the {lang} code as the output; it is empty."),
                );
            }
            vec![("The output".to_string(), 1, text.into())]
        }
        CodeSource::FencedBlocks => {
            let blocks: Vec<_> = md()
                .code_blocks
                .iter()
                .filter(|b| language.matches_fence(&b.tag))
                .collect();
            if blocks.is_empty() {
                return Check::fail(
                    format!("no ```{} block in the output", language.fence_tag()),
                    format!(
                        "Put the {lang} code in a fenced block that starts with ```{}; the output has none.",
                        language.fence_tag()
                    ),
                );
            }
            blocks
                .into_iter()
                .map(|b| {
                    (
                        format!(
                            "The ```{} block at line {}",
                            language.fence_tag(),
                            b.first_line
                        ),
                        b.first_line,
                        b.content.as_str().into(),
                    )
                })
                .collect()
        }
        CodeSource::Files => {
            let files: Vec<&OutputFile> = output
                .files
                .iter()
                .filter(|f| language.matches_file(&f.name))
                .collect();
            if files.is_empty() {
                return Check::fail(
                    format!("no {} file in the output", language.file_extension()),
                    format!(
                        "Write the {lang} code to a file ending in {}; the output has none.",
                        language.file_extension()
                    ),
                );
            }
            let mut pieces = Vec::with_capacity(files.len());
            for file in files {
                let bytes = match file.read() {
                    Ok(b) => b,
                    Err(e) => {
                        return Check::fail(
                            format!("{}: {e}", file.name),
                            format!("{} {e}; write it again.", file.name),
                        );
                    }
                };
                match String::from_utf8(bytes.into_owned()) {
                    Ok(code) => pieces.push((file.name.clone(), 1, code.into())),
                    Err(_) => {
                        return Check::fail(
                            format!("{}: not UTF-8 text", file.name),
                            format!("{} is not UTF-8 text; save it as UTF-8.", file.name),
                        );
                    }
                }
            }
            pieces
        }
    };
    let count = pieces.len() as u64;
    let lines: u64 = pieces
        .iter()
        .map(|(_, _, code)| code.lines().count() as u64)
        .sum();
    match first_syntax_problem(language, &pieces) {
        Ok(None) => {}
        Ok(Some((i, problem))) => {
            let (where_, first_line, code) = &pieces[i];
            let line = first_line + problem.row;
            let offending = code.lines().nth(problem.row).unwrap_or("");
            return Check::fail(
                format!("line {line}: {}", quote(offending)),
                format!(
                    "{where_} is not valid {lang}: {} at line {line}, column {}; fix the syntax there.",
                    problem.what,
                    problem.column + 1
                ),
            );
        }
        Err((i, e)) => {
            let where_ = i.map_or("The code", |i| pieces[i].0.as_str());
            return Check::fail("", format!("{where_} could not be checked: {e}."));
        }
    }
    let verb = if count == 1 { "parses" } else { "parse" };
    let what = match source {
        CodeSource::WholeOutput => format!("the output parses as {lang}"),
        CodeSource::Files => format!(
            "{} {verb}",
            plural(count, &format!("{lang} file"), &format!("{lang} files"))
        ),
        CodeSource::FencedBlocks => format!(
            "{} {verb}",
            plural(
                count,
                &format!("```{} block", language.fence_tag()),
                &format!("```{} blocks", language.fence_tag())
            )
        ),
    };
    Check::pass(format!("{what} ({})", plural(lines, "line", "lines")))
}
