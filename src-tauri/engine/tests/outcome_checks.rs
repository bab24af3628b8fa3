//! The rubric document (parse errors, round trip, starters) and every exact
//! check on good and bad input, with real files: OOXML packages built with
//! the `zip` crate and then corrupted, a hand-written PDF and then truncated.

mod support {
    pub mod fixtures;
}

use reverie_engine::outcome::{
    CriterionKind, CriterionVerdict, Output, OutputFile, Rubric, run_exact_checks, score,
    starter_rubrics,
};
use support::fixtures;

/// A rubric with one exact criterion of the given kind (JSON).
fn rubric_with(kind: &str) -> Rubric {
    let text = format!(
        r#"{{"schema": "reverie.rubric/1", "name": "t", "threshold": 1.0,
            "criteria": [{{"name": "c", "weight": 1, "kind": {kind}}}]}}"#
    );
    Rubric::from_json(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn check_text(kind: &str, text: &str) -> CriterionVerdict {
    check(
        kind,
        Output {
            text: text.into(),
            files: vec![],
        },
    )
}

fn check(kind: &str, output: Output) -> CriterionVerdict {
    let mut verdicts = run_exact_checks(&rubric_with(kind), &output);
    assert_eq!(verdicts.len(), 1);
    let v = verdicts.remove(0);
    if v.passed {
        assert_eq!(v.gap, None);
        assert_eq!(v.score, 1.0);
    } else {
        let gap = v
            .gap
            .as_deref()
            .expect("a failed verdict says what to change");
        assert!(gap.ends_with('.'), "the gap is one sentence: {gap}");
    }
    v
}

fn files(list: Vec<(&str, Vec<u8>)>) -> Output {
    Output {
        text: "See the attached file.".into(),
        files: list
            .into_iter()
            .map(|(n, b)| OutputFile::from_bytes(n, b))
            .collect(),
    }
}

fn gap(v: &CriterionVerdict) -> &str {
    v.gap.as_deref().unwrap_or("")
}

// ---------------------------------------------------------------- rubric

const EVERY_KIND: &str = r###"{
  "criteria": [
    {"kind": {"description": "Reads well.", "type": "judged"}, "name": "Clear", "weight": 2},
    {"name": "No lorem", "weight": 1, "required": true, "kind": {"type": "regex", "pattern": "lorem\\s+ipsum", "must_match": false, "flags": "i"}},
    {"name": "Short summary", "weight": 1.5, "kind": {"type": "length", "unit": "words", "max": 150, "section": "Summary"}},
    {"name": "Sections", "weight": 1, "kind": {"type": "headings", "required": ["Summary", "## Next steps"]}},
    {"name": "Data", "weight": 1, "kind": {"type": "json_schema", "schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array"}}}}},
    {"name": "Deck", "weight": 1, "kind": {"type": "file_type", "path": "*.pptx", "format": "pptx"}},
    {"name": "Script", "weight": 1, "kind": {"type": "code_parses", "language": "python", "source": "fenced_blocks"}}
  ],
  "threshold": 0.7, "name": "Everything", "schema": "reverie.rubric/1"
}"###;

#[test]
fn round_trip_is_byte_for_byte_stable() {
    let first = Rubric::from_json(EVERY_KIND).unwrap();
    assert_eq!(first.max_iterations, 3, "default iterations");
    let exported = first.to_json();
    let second = Rubric::from_json(&exported).unwrap();
    assert_eq!(second, first);
    assert_eq!(second.to_json(), exported);
    // Canonical order: schema first, kind's type first.
    assert!(
        exported.starts_with("{\n  \"schema\": \"reverie.rubric/1\",\n  \"name\": \"Everything\",")
    );
    assert!(exported.contains(
        "\"kind\": {\n        \"type\": \"judged\",\n        \"description\": \"Reads well.\""
    ));
    assert!(exported.ends_with("}\n"));
    // serde's Deserialize runs the same validation.
    let via_serde: Rubric = serde_json::from_str(&exported).unwrap();
    assert_eq!(via_serde, first);
}

#[test]
fn starters_parse_and_are_canonical() {
    let starters = starter_rubrics();
    let names: Vec<_> = starters.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Report with a short summary",
            "Valid Python script",
            "Slide deck"
        ]
    );
    for ((file, text), rubric) in reverie_engine::outcome::rubric::STARTERS
        .iter()
        .zip(&starters)
    {
        assert_eq!(&rubric.to_json(), text, "{file} is in canonical form");
        assert!(
            rubric
                .criteria
                .iter()
                .any(|c| matches!(c.kind, CriterionKind::Judged { .. }))
        );
        assert!(rubric.criteria.iter().any(|c| c.kind.is_exact()));
    }
}

#[track_caller]
fn parse_error(text: &str) -> reverie_engine::outcome::RubricError {
    match Rubric::from_json(text) {
        Ok(_) => panic!("expected an error for {text}"),
        Err(e) => e,
    }
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = parse_error("{\n  \"schema\": \"reverie.rubric/1\",\n  \"name\": \"x\",\n}");
    assert_eq!((e.line, e.column), (Some(4), Some(1)));
    assert!(e.message.contains("trailing comma"), "{e}");
    let e = parse_error("");
    assert!(e.message.contains("EOF"), "{e}");
    let e = parse_error("\n  [1, 2]");
    assert_eq!((e.line, e.column), (Some(2), Some(3)));
    assert!(e.message.contains("JSON object"), "{e}");
    let e = parse_error(
        r#"{"schema": "reverie.rubric/1", "name": "x", "threshold": 0.5, "criteria": [3]}"#,
    );
    assert_eq!(e.field, "criteria[0]");
    assert!(e.message.contains("a criterion object"), "{e}");
    let e = parse_error(&format!("{} extra", EVERY_KIND));
    assert!(e.message.contains("trailing characters"), "{e}");
}

#[test]
fn type_mistakes_name_the_field() {
    let text = r#"{"schema": "reverie.rubric/1", "name": "x", "threshold": 0.5,
"criteria": [
  {"name": "a", "weight": 1, "kind": {"type": "judged", "description": "d"}},
  {"name": "b", "weight": 1, "kind": {"type": "regex", "pattern": "x", "must_match": "yes"}}
]}"#;
    let e = parse_error(text);
    assert_eq!(e.field, "criteria[1].kind.must_match");
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("expected a boolean"), "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("line 4, column") && shown.contains("field `criteria[1].kind.must_match`"),
        "{shown}"
    );

    let e = parse_error(&text.replace(r#""type": "regex""#, r#""type": "regx""#));
    assert_eq!(e.field, "criteria[1].kind.type");
    assert!(e.message.contains("unknown variant `regx`"), "{e}");
}

#[test]
fn unknown_fields_are_refused() {
    let e = parse_error(&EVERY_KIND.replace("\"threshold\"", "\"treshold\""));
    assert!(e.message.contains("unknown field `treshold`"), "{e}");
    assert_eq!(e.line, Some(11));
    let e = parse_error(&EVERY_KIND.replace("\"must_match\"", "\"must_matchh\""));
    assert_eq!(e.field, "criteria[1].kind.must_matchh");
    // A field of another kind is a mistake too, reported with its position.
    let e = parse_error(&EVERY_KIND.replace(
        r#""description": "Reads well.","#,
        r#""description": "Reads well.", "max": 3,"#,
    ));
    assert_eq!(e.field, "criteria[0].kind.max");
    assert_eq!(e.line, Some(3));
    assert!(
        e.message
            .contains("does not belong to a `judged` criterion"),
        "{e}"
    );
}

#[test]
fn semantic_mistakes_name_the_field_and_position() {
    let cases = [
        (
            r#""weight": 1.5"#,
            r#""weight": 0"#,
            "criteria[2].weight",
            "greater than 0",
        ),
        (
            r#""threshold": 0.7"#,
            r#""threshold": 1.5"#,
            "threshold",
            "between 0 and 1",
        ),
        (
            r#""threshold": 0.7"#,
            r#""threshold": 0.7, "max_iterations": 21"#,
            "max_iterations",
            "between 1 and 20",
        ),
        (
            r#""threshold": 0.7"#,
            r#""threshold": 0.7, "max_iterations": 0"#,
            "max_iterations",
            "between 1 and 20",
        ),
        (
            r#""lorem\\s+ipsum""#,
            r#""lorem(ipsum""#,
            "criteria[1].kind.pattern",
            "unclosed group",
        ),
        (
            r#""flags": "i""#,
            r#""flags": "iq""#,
            "criteria[1].kind.flags",
            "unknown regex flag `q`",
        ),
        (
            r#"{"type": "object", "required""#,
            r#"{"type": "objekt", "required""#,
            "criteria[4].kind.schema",
            "not a usable JSON Schema",
        ),
        (
            r#""schema": "reverie.rubric/1""#,
            r#""schema": "reverie.rubric/9""#,
            "schema",
            "reverie.rubric/9",
        ),
        (
            r#""max": 150,"#,
            r#""min": 200, "max": 150,"#,
            "criteria[2].kind.min",
            "greater than max",
        ),
        (
            r#""name": "Deck""#,
            r#""name": "Data""#,
            "criteria[5].name",
            "distinct name",
        ),
        (
            r#""pattern": "lorem\\s+ipsum", "#,
            "",
            "criteria[1].kind",
            "needs `pattern`",
        ),
    ];
    for (from, to, field, words) in cases {
        assert!(EVERY_KIND.contains(from), "{from}");
        let text = EVERY_KIND.replacen(from, to, 1);
        let e = parse_error(&text);
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(words), "{e}");
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
    }
    // A schema that would fetch from the network is refused at import.
    let remote = EVERY_KIND.replacen(
        r#"{"type": "object", "required""#,
        r#"{"$ref": "https://example.com/item.json", "required""#,
        1,
    );
    let e = parse_error(&remote);
    assert_eq!(e.field, "criteria[4].kind.schema", "{e}");
    // The position is that of the offending value.
    let text = EVERY_KIND.replacen(r#""lorem\\s+ipsum""#, r#""lorem(ipsum""#, 1);
    let e = parse_error(&text);
    let line = text.lines().nth(e.line.unwrap() - 1).unwrap();
    let at: String = line.chars().skip(e.column.unwrap() - 1).take(7).collect();
    assert_eq!(at, "\"lorem(");
    // Rubrics built in code are checked by the same rules.
    let mut rubric = Rubric::from_json(EVERY_KIND).unwrap();
    rubric.criteria[3].weight = -1.0;
    assert_eq!(rubric.validate().unwrap_err().field, "criteria[3].weight");
}

// ---------------------------------------------------------------- checks

#[test]
fn regex_must_and_must_not_match() {
    let must = r#"{"type": "regex", "pattern": "https?://\\S+", "must_match": true}"#;
    let v = check_text(must, "Source:\nhttps://example.org/report");
    assert!(v.passed);
    assert!(
        v.evidence.contains("line 2") && v.evidence.contains("https://example.org/report"),
        "{}",
        v.evidence
    );
    let v = check_text(must, "No link here.");
    assert!(!v.passed);
    assert_eq!(
        gap(&v),
        "Add text that matches the pattern /https?://\\S+/; nothing in the output matches it yet."
    );

    let must_not =
        r#"{"type": "regex", "pattern": "lorem ipsum", "must_match": false, "flags": "i"}"#;
    assert!(check_text(must_not, "Real content.").passed);
    let v = check_text(must_not, "Intro\nLorem Ipsum dolor\nlorem ipsum again");
    assert!(!v.passed);
    assert_eq!(
        gap(&v),
        "Remove or reword \"Lorem Ipsum\" at line 2 and 1 more place: the output must not match the pattern /lorem ipsum/i."
    );
}

const REPORT: &str = "# Quarterly report\n\n## Summary\n\nSales rose ten percent.\n\n```python\n# a comment, not a heading\nprint('hi')\n```\n\n### Detail\n\nMore words under the summary.\n\n## Findings\n\n- one\n- two\n";

#[test]
fn length_of_a_section_and_of_the_whole_output() {
    // Visible words only: no `#`, fences or bullets; the code and the
    // level-3 subsection belong to the summary.
    let section = r#"{"type": "length", "unit": "words", "max": 20, "section": "Summary"}"#;
    let v = check_text(section, REPORT);
    assert!(v.passed, "{v:?}");
    assert!(v.evidence.contains("(16 words)"), "{}", v.evidence);
    let long = REPORT.replace("Sales rose ten percent.", &"word ".repeat(212));
    let v = check_text(section, &long);
    assert!(!v.passed);
    assert_eq!(
        gap(&v),
        "The \"Summary\" section (line 3) has 224 words; cut it to at most 20."
    );

    let v = check_text(
        r#"{"type": "length", "unit": "words", "max": 20, "section": "Conclusion"}"#,
        REPORT,
    );
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with("Add a section under a \"Conclusion\" heading"),
        "{}",
        gap(&v)
    );

    let min = r#"{"type": "length", "unit": "words", "min": 100}"#;
    let v = check_text(min, "Too short.");
    assert_eq!(
        gap(&v),
        "The output has 2 words; expand it to at least 100."
    );
    assert!(check_text(min, &"fine ".repeat(100)).passed);

    let chars = r#"{"type": "length", "unit": "characters", "max": 10}"#;
    assert!(check_text(chars, "  héllo  ").passed);
    let v = check_text(chars, "eleven char");
    assert_eq!(
        gap(&v),
        "The output has 11 characters; cut it to at most 10."
    );
}

#[test]
fn required_headings() {
    let kind = r###"{"type": "headings", "required": ["Summary", "findings:", "## Next steps"]}"###;
    let v = check_text(kind, &format!("{REPORT}\n## Next steps\n\nShip it.\n"));
    assert!(v.passed, "{v:?}");
    let v = check_text(kind, REPORT);
    assert!(!v.passed);
    assert!((v.score - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        gap(&v),
        "Add the missing heading \"## Next steps\" as markdown headings."
    );
    // A level-3 "Next steps" does not satisfy "## Next steps"; a # inside code is no heading.
    let v = check_text(kind, "```\n# Summary\n```\n### Next steps\n");
    assert_eq!(v.score, 0.0);
    assert_eq!(
        gap(&v),
        "Add the missing headings \"## Summary\", \"## findings:\" and \"## Next steps\" as markdown headings."
    );
}

const ITEMS_SCHEMA: &str = r#"{"type": "json_schema", "schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["price"], "properties": {"price": {"type": "number"}}}}}}}"#;

#[test]
fn json_schema_on_whole_output_and_fenced_block() {
    assert!(check_text(ITEMS_SCHEMA, r#" {"items": [{"price": 3.5}]} "#).passed);
    let v = check_text(
        ITEMS_SCHEMA,
        "Here it is:\n\n```json\n{\"items\": [{\"price\": 2}]}\n```\n",
    );
    assert!(v.passed, "{v:?}");

    let v = check_text(
        ITEMS_SCHEMA,
        "Here:\n\n```json\n{\"items\": [{\"price\": \"12\"}]}\n```\n",
    );
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with(
            "The ```json block at line 4 does not match the schema at /items/0/price:"
        ),
        "{}",
        gap(&v)
    );
    assert!(gap(&v).contains("is not of type \"number\""), "{}", gap(&v));
    assert!(v.evidence.contains("\"12\""), "{}", v.evidence);

    let v = check_text(
        ITEMS_SCHEMA,
        "Here:\n\n```json\n{\"items\": [\n  {\"price\": 1},\n]}\n```\n",
    );
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with(
            "The ```json block at line 4 is not valid JSON (trailing comma, at line 6 column 1)"
        ),
        "{}",
        gap(&v)
    );

    let v = check_text(ITEMS_SCHEMA, "{\"items\": [}");
    assert!(
        gap(&v).starts_with("The output is not valid JSON"),
        "{}",
        gap(&v)
    );
    let v = check_text(ITEMS_SCHEMA, "No data today.");
    assert!(
        gap(&v).starts_with("Give the answer as JSON"),
        "{}",
        gap(&v)
    );
    let v = check_text(ITEMS_SCHEMA, "{}");
    assert!(
        gap(&v).contains("at the top level")
            && gap(&v).contains("\"items\" is a required property"),
        "{}",
        gap(&v)
    );
}

#[test]
fn docx_good_and_corrupt() {
    let kind = r#"{"type": "file_type", "path": "report.docx", "format": "docx"}"#;
    let good = fixtures::docx(&["Summary", "All good."]);
    let v = check(kind, files(vec![("out/Report.DOCX", good.clone())]));
    assert!(v.passed, "{v:?}");
    assert_eq!(
        v.evidence,
        "out/Report.DOCX opens as a Word document with 2 paragraphs"
    );

    // Truncated zip.
    let v = check(
        kind,
        files(vec![("report.docx", good[..good.len() / 2].to_vec())]),
    );
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with(
            "report.docx does not open as a Word document (.docx): it is not a zip package"
        ),
        "{}",
        gap(&v)
    );

    // A damaged part: flip bytes inside a stored document.xml, so its checksum fails.
    let mut damaged = fixtures::package(&fixtures::docx_parts(&["Hello corrupted world"]), true);
    let at = damaged.windows(5).position(|w| w == b"Hello").unwrap();
    damaged[at..at + 5].copy_from_slice(b"Jello");
    let v = check(kind, files(vec![("report.docx", damaged)]));
    assert!(!v.passed);
    assert!(
        gap(&v).contains("part word/document.xml is damaged"),
        "{}",
        gap(&v)
    );

    // Not well-formed XML in the main part.
    let mut parts = fixtures::docx_parts(&["x"]);
    parts[2].1 = parts[2].1.replace("</w:body>", "");
    let v = check(
        kind,
        files(vec![("report.docx", fixtures::package(&parts, false))]),
    );
    assert!(
        gap(&v).contains("part word/document.xml is not well-formed XML"),
        "{}",
        gap(&v)
    );

    // No [Content_Types].xml.
    let parts = fixtures::docx_parts(&["x"]);
    let v = check(
        kind,
        files(vec![("report.docx", fixtures::package(&parts[1..], false))]),
    );
    assert!(gap(&v).contains("no [Content_Types].xml"), "{}", gap(&v));

    // Main part missing.
    let v = check(
        kind,
        files(vec![("report.docx", fixtures::package(&parts[..2], false))]),
    );
    assert!(
        gap(&v).contains("main part word/document.xml is missing"),
        "{}",
        gap(&v)
    );

    // Plain text with a .docx name.
    let v = check(kind, files(vec![("report.docx", b"just text".to_vec())]));
    assert!(gap(&v).contains("it is not a zip package"), "{}", gap(&v));

    // No such file at all.
    let v = check(kind, files(vec![("notes.txt", b"x".to_vec())]));
    assert_eq!(
        gap(&v),
        "Produce a Word document (.docx) named like \"report.docx\"; the output's files are notes.txt."
    );
}

#[test]
fn pptx_and_xlsx() {
    let deck = r#"{"type": "file_type", "path": "*.pptx", "format": "pptx"}"#;
    let v = check(
        deck,
        files(vec![(
            "slides/deck.pptx",
            fixtures::pptx(&["Why", "How", "Next"]),
        )]),
    );
    assert!(v.passed, "{v:?}");
    assert_eq!(
        v.evidence,
        "slides/deck.pptx opens as a PowerPoint deck with 3 slides"
    );
    // A Word document renamed .pptx.
    let v = check(deck, files(vec![("deck.pptx", fixtures::docx(&["x"]))]));
    assert!(
        gap(&v).contains("it is a Word document, not a PowerPoint deck"),
        "{}",
        gap(&v)
    );
    // Every matching file must open.
    let v = check(
        deck,
        files(vec![
            ("a.pptx", fixtures::pptx(&["A"])),
            ("b.pptx", b"PK broken".to_vec()),
        ]),
    );
    assert!(gap(&v).starts_with("b.pptx does not open"), "{}", gap(&v));
    let v = check(deck, Output::default());
    assert!(gap(&v).ends_with("the output has no files."), "{}", gap(&v));

    let book = r#"{"type": "file_type", "path": "*.xlsx", "format": "xlsx"}"#;
    let v = check(
        book,
        files(vec![("data.xlsx", fixtures::xlsx(&["Q1", "Q2"]))]),
    );
    assert_eq!(
        v.evidence,
        "data.xlsx opens as an Excel workbook with 2 sheets"
    );
    assert!(!check(book, files(vec![("data.xlsx", fixtures::pptx(&["A"]))])).passed);
}

#[test]
fn pdf_good_truncated_and_broken() {
    let kind = r#"{"type": "file_type", "path": "*.pdf", "format": "pdf"}"#;
    let good = fixtures::pdf(&["Page one", "Page two"]);
    let v = check(kind, files(vec![("report.pdf", good.clone())]));
    assert!(v.passed, "{v:?}");
    assert_eq!(v.evidence, "report.pdf opens as a PDF 1.4 with 2 pages");

    for cut in [good.len() / 2, good.len() - 7, 20] {
        let v = check(kind, files(vec![("report.pdf", good[..cut].to_vec())]));
        assert!(!v.passed, "cut at {cut}");
        assert!(gap(&v).contains("it is truncated"), "{}", gap(&v));
    }
    // The end is intact but the cross-reference table points nowhere.
    let text = String::from_utf8_lossy(&good).to_string();
    let xref_at = text.rfind("startxref\n").unwrap() + "startxref\n".len();
    let mut broken = good[..xref_at].to_vec();
    broken.extend_from_slice(b"999999\n%%EOF\n");
    let v = check(kind, files(vec![("report.pdf", broken)]));
    assert!(!v.passed, "{v:?}");
    // Not a PDF at all.
    let v = check(kind, files(vec![("report.pdf", fixtures::docx(&["x"]))]));
    assert!(gap(&v).contains("%PDF- header"), "{}", gap(&v));
}

#[test]
fn csv_good_and_ragged() {
    let kind = r#"{"type": "file_type", "path": "*.csv", "format": "csv"}"#;
    let v = check(
        kind,
        files(vec![(
            "t.csv",
            b"name,price\n\"Tea, green\",3\ncoffee,4\n".to_vec(),
        )]),
    );
    assert_eq!(
        v.evidence,
        "t.csv opens as a CSV table of 3 rows and 2 columns"
    );
    let v = check(
        kind,
        files(vec![(
            "t.csv",
            b"name,price\ntea,3\ncoffee,4,extra\n".to_vec(),
        )]),
    );
    assert!(
        gap(&v).contains("line 3 has 3 fields but the first row has 2"),
        "{}",
        gap(&v)
    );
    assert!(gap(&check(kind, files(vec![("t.csv", b"  \n".to_vec())]))).contains("it is empty"));
    assert!(
        gap(&check(kind, files(vec![("t.csv", fixtures::docx(&["x"]))]))).contains("binary data")
    );
}

#[test]
fn files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deck.pptx");
    std::fs::write(&path, fixtures::pptx(&["One"])).unwrap();
    let kind = r#"{"type": "file_type", "path": "deck.pptx", "format": "pptx"}"#;
    let output = Output {
        text: String::new(),
        files: vec![OutputFile::from_path("deck.pptx", &path)],
    };
    assert!(check(kind, output).passed);
    let output = Output {
        text: String::new(),
        files: vec![OutputFile::from_path(
            "deck.pptx",
            dir.path().join("gone.pptx"),
        )],
    };
    assert!(gap(&check(kind, output)).contains("could not be read"));
}

#[test]
fn python_and_rust_code_parses() {
    let py = r#"{"type": "code_parses", "language": "python", "source": "fenced_blocks"}"#;
    let v = check_text(
        py,
        "Script:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n```py\nprint(add(1, 2))\n```\n",
    );
    assert!(v.passed, "{v:?}");
    assert_eq!(v.evidence, "2 ```python blocks parse (3 lines)");
    let v = check_text(
        py,
        "Script:\n\n```python\nimport sys\n\ndef add(a, b:\n    return a + b\n```\n",
    );
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with("The ```python block at line 4 is not valid Python:"),
        "{}",
        gap(&v)
    );
    assert!(
        gap(&v).contains("at line 6") || gap(&v).contains("at line 7"),
        "{}",
        gap(&v)
    );
    let v = check_text(py, "```rust\nfn main() {}\n```");
    assert_eq!(
        gap(&v),
        "Put the Python code in a fenced block that starts with ```python; the output has none."
    );

    let rs = r#"{"type": "code_parses", "language": "rust", "source": "whole_output"}"#;
    assert!(check_text(rs, "fn main() {\n    println!(\"hi\");\n}\n").passed);
    let v = check_text(rs, "fn main() {\n    let x = ;\n}\n");
    assert!(
        gap(&v).starts_with("The output is not valid Rust:") && gap(&v).contains("at line 2"),
        "{}",
        gap(&v)
    );
    assert!(!check_text(rs, "fn main() {\n").passed);
}

/// Over 64 kB of code is parsed on several threads; the verdict is the same
/// as one thread's: the first broken block in the output is named, even
/// when a later run of blocks (parsed at the same time) also has one.
#[test]
fn large_code_is_checked_in_parallel_and_names_the_first_broken_block() {
    let py = r#"{"type": "code_parses", "language": "python", "source": "fenced_blocks"}"#;
    let block = |n: usize, broken: bool| {
        let body = if broken {
            "def f(a:\n    return a\n"
        } else {
            "def f(a):\n    return a\n"
        };
        format!(
            "Block {n}:\n\n```python\n{}{body}```\n\n",
            "x = 1\n".repeat(400)
        )
    };
    let blocks = 60; // ~60 x 2.8 kB: well over the parallel threshold
    let text: String = (0..blocks).map(|n| block(n, false)).collect();
    let v = check_text(py, &text);
    assert!(v.passed, "{v:?}");
    assert!(
        v.evidence.starts_with("60 ```python blocks parse"),
        "{}",
        v.evidence
    );

    let text: String = (0..blocks).map(|n| block(n, n == 20 || n == 50)).collect();
    // Block lines count from 1, and a block starts on the line after its fence.
    let first_broken_line = text.lines().position(|l| l == "Block 20:").unwrap() + 4;
    let v = check_text(py, &text);
    assert!(!v.passed);
    assert!(
        gap(&v).starts_with(&format!("The ```python block at line {first_broken_line} ")),
        "{}",
        gap(&v)
    );
}

#[test]
fn code_in_output_files() {
    let kind = r#"{"type": "code_parses", "language": "python", "source": "files"}"#;
    let output = |name: &str, code: &str| Output {
        text: "Done.".into(),
        files: vec![
            OutputFile::from_bytes("notes.md", b"# not code (".to_vec()),
            OutputFile::from_bytes(name, code.as_bytes().to_vec()),
        ],
    };
    let v = check(kind, output("tool/clean.py", "import csv\n\nprint('ok')\n"));
    assert_eq!(v.evidence, "1 Python file parses (3 lines)");
    let v = check(
        kind,
        output("clean.py", "import csv\nfor row in rows\n    print(row)\n"),
    );
    assert!(
        gap(&v).starts_with("clean.py is not valid Python:") && gap(&v).contains("at line 2"),
        "{}",
        gap(&v)
    );
    let v = check(kind, output("clean.txt", "print('ok')"));
    assert_eq!(
        gap(&v),
        "Write the Python code to a file ending in .py; the output has none."
    );
}

#[test]
fn serde_deserialize_validates_too() {
    let bad = EVERY_KIND.replacen(r#""weight": 1.5"#, r#""weight": -2"#, 1);
    let e = serde_json::from_str::<Rubric>(&bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field `criteria[2].weight`: weight must be greater than 0, not -2"),
        "{e}"
    );
}

#[test]
fn judged_criteria_are_left_to_the_grader_and_scores_weigh_everything() {
    let rubric = Rubric::from_json(EVERY_KIND).unwrap();
    let output = Output {
        text: format!("{REPORT}\n## Next steps\n\nShip.\n\n```json\n{{\"items\": []}}\n```\n"),
        files: vec![OutputFile::from_bytes(
            "deck.pptx",
            fixtures::pptx(&["One"]),
        )],
    };
    let verdicts = run_exact_checks(&rubric, &output);
    let indices: Vec<_> = verdicts.iter().map(|v| v.criterion_index).collect();
    assert_eq!(
        indices,
        [1, 2, 3, 4, 5, 6],
        "no verdict for the judged criterion 0"
    );
    assert!(verdicts.iter().all(|v| v.passed), "{verdicts:#?}");

    // Without the judged verdict: 6.5 of 8.5 weight.
    let s = score(&rubric, &verdicts);
    assert!((s.weighted_score - 6.5 / 8.5).abs() < 1e-9, "{s:?}");
    assert!(s.passed_threshold && s.failed_required.is_empty() && s.passed());

    // A failed required criterion fails the outcome whatever the score.
    let mut with_failure = verdicts.clone();
    with_failure[0].passed = false;
    with_failure[0].score = 0.0;
    with_failure.push(CriterionVerdict {
        criterion_index: 0,
        name: "Clear".into(),
        passed: true,
        score: 1.0,
        evidence: "reads well".into(),
        gap: None,
    });
    let s = score(&rubric, &with_failure);
    assert!((s.weighted_score - 7.5 / 8.5).abs() < 1e-9);
    assert_eq!(s.failed_required, [1]);
    assert!(s.passed_threshold && !s.passed());
}
