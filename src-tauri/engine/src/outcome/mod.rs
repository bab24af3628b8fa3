//! Outcomes: what "good work" means for a task, and the checks that need no
//! model to tell.
//!
//! A [`Rubric`] is a versioned JSON document of ordered criteria; each is
//! either *judged* (a plain-language description the grader model reads) or
//! an *exact check* run here, in microseconds to milliseconds, before any
//! model is asked: a regex, a word or character limit, required headings, a
//! JSON Schema, a file that must open as a given type, code that must parse.
//! [`run_exact_checks`] turns an [`Output`] into one [`CriterionVerdict`] per
//! exact criterion, each with short evidence quoted from the output and a
//! one-sentence gap the agent gets as feedback on its next pass; [`score`]
//! weighs all verdicts (exact and judged) against the rubric's threshold.
//!
//! The [`grader`] then asks a model about the judged criteria, in its own
//! context, and validates its structured verdicts.
//!
//! This module must never touch the store: persistence and the loop over
//! iterations live above it (`runtime::outcome_loop`). Only `grader` talks
//! to a model provider.

mod code;
mod file_formats;
mod markdown;

pub mod checks;
pub mod grader;
pub mod rubric;
pub mod verdict;

pub use checks::{FileContent, Output, OutputFile, run_exact_checks};
pub use grader::{Grade, GradeError, Grader, feedback};
pub use rubric::{
    CodeLanguage, CodeSource, Criterion, CriterionKind, DEFAULT_MAX_ITERATIONS, FileFormat,
    LengthUnit, MAX_ITERATIONS_LIMIT, RUBRIC_SCHEMA, Rubric, RubricError, starter_rubrics,
};
// Size and count limits on rubrics (issue 18).
pub use rubric::{MAX_CRITERIA, MAX_PATTERN_BYTES, MAX_RUBRIC_BYTES, read_rubric_file};
pub use verdict::{CriterionVerdict, Score, score};
