//! The markdown structure of an output that exact checks need: headings,
//! sections and fenced code blocks, found with a CommonMark parser so a `#`
//! comment inside a Python block is never mistaken for a heading. Also word
//! and character counting. Knows nothing of rubrics or verdicts.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

pub(crate) struct Heading {
    pub level: u8,
    /// The heading's text as written (inline markup dropped).
    pub text: String,
    /// Byte range of the heading line(s) in the output.
    pub range: Range<usize>,
    /// Where the heading starts and ends in [`Markdown::visible`].
    visible: Range<usize>,
}

pub(crate) struct CodeBlock {
    /// The fence's info string up to the first space (`python`, `json`).
    pub tag: String,
    pub content: String,
    /// 1-based line of the block's first content line in the output.
    pub first_line: usize,
}

pub(crate) struct Markdown<'a> {
    text: &'a str,
    pub headings: Vec<Heading>,
    pub code_blocks: Vec<CodeBlock>,
    /// The text a reader sees: markup (`#`, list bullets, fences, link
    /// targets, HTML) dropped, one line per block. Lengths are counted here.
    pub visible: String,
}

impl<'a> Markdown<'a> {
    pub fn parse(text: &'a str) -> Markdown<'a> {
        let mut headings = Vec::new();
        let mut code_blocks = Vec::new();
        let mut open_heading: Option<Heading> = None;
        let mut open_block: Option<(CodeBlock, Option<usize>)> = None;
        let mut visible = String::with_capacity(text.len());
        let mut lines = LineCounter::default();
        for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    let at = visible.len();
                    open_heading = Some(Heading {
                        level: level as u8,
                        text: String::new(),
                        range,
                        visible: at..at,
                    });
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(mut h) = open_heading.take() {
                        h.visible.end = visible.len();
                        headings.push(h);
                    }
                    visible.push('\n');
                }
                Event::End(
                    TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::TableRow,
                )
                | Event::SoftBreak
                | Event::HardBreak => visible.push('\n'),
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    let tag = info.split_whitespace().next().unwrap_or("").to_string();
                    let block = CodeBlock {
                        tag,
                        content: String::new(),
                        first_line: 0,
                    };
                    open_block = Some((block, Some(range.start)));
                }
                Event::End(TagEnd::CodeBlock) => {
                    visible.push('\n');
                    if let Some((mut block, fence_start)) = open_block.take() {
                        if block.first_line == 0 {
                            // Empty block: point at the line after the fence.
                            block.first_line = lines.line_at(text, fence_start.unwrap_or(0)) + 1;
                        }
                        code_blocks.push(block);
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    visible.push_str(&t);
                    if let Some((block, _)) = open_block.as_mut() {
                        if block.first_line == 0 {
                            block.first_line = lines.line_at(text, range.start);
                        }
                        block.content.push_str(&t);
                    } else if let Some(h) = open_heading.as_mut() {
                        h.text.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        Markdown {
            text,
            headings,
            code_blocks,
            visible,
        }
    }

    /// The first heading matching `wanted` (see [`normalize_heading`]).
    pub fn find_heading(&self, wanted: &str) -> Option<usize> {
        let (level, name) = normalize_heading(wanted);
        self.headings.iter().position(|h| {
            level.is_none_or(|l| l == h.level) && normalize_heading(&h.text).1 == name
        })
    }

    /// The visible text under heading `index`, up to the next heading of
    /// the same or a higher level (or the end), trimmed.
    pub fn section(&self, index: usize) -> &str {
        let heading = &self.headings[index];
        let end = self.headings[index + 1..]
            .iter()
            .find(|h| h.level <= heading.level)
            .map_or(self.visible.len(), |h| h.visible.start);
        self.visible[heading.visible.end.min(end)..end].trim()
    }

    /// 1-based line of the heading.
    pub fn heading_line(&self, index: usize) -> usize {
        line_of(self.text, self.headings[index].range.start)
    }
}

/// A heading as compared: an optional required level (from leading `#`s)
/// and the text lowercased, whitespace collapsed, without a trailing colon
/// or closing `#`s.
pub(crate) fn normalize_heading(raw: &str) -> (Option<u8>, String) {
    let trimmed = raw.trim();
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    let level = (1..=6).contains(&hashes).then_some(hashes as u8);
    let rest = trimmed[hashes..]
        .trim()
        .trim_end_matches('#')
        .trim()
        .trim_end_matches(':')
        .trim();
    let words: Vec<String> = rest.split_whitespace().map(str::to_lowercase).collect();
    (level, words.join(" "))
}

/// Words as word processors count them: whitespace-separated runs with at
/// least one letter or digit.
pub(crate) fn count_words(text: &str) -> u64 {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count() as u64
}

pub(crate) fn count_characters(text: &str) -> u64 {
    text.trim().chars().count() as u64
}

/// Line numbers for increasing offsets in one pass (events arrive in
/// source order; counting from the start each time would be quadratic).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        if offset < self.offset {
            return line_of(text, offset);
        }
        self.line += text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.offset = offset;
        self.line + 1
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_stop_at_same_or_higher_headings_and_ignore_code_comments() {
        let text = "# Report\nintro\n## Summary\none two\n### Detail\nthree\n```python\n# not a heading\nx = 1\n```\n## Next\nfour\n";
        let md = Markdown::parse(text);
        let names: Vec<_> = md
            .headings
            .iter()
            .map(|h| (h.level, h.text.as_str()))
            .collect();
        assert_eq!(
            names,
            [(1, "Report"), (2, "Summary"), (3, "Detail"), (2, "Next")]
        );
        let summary = md.find_heading("summary:").unwrap();
        assert_eq!(
            md.section(summary),
            "one two\nDetail\nthree\n# not a heading\nx = 1"
        );
        assert!(
            md.visible.starts_with("Report\nintro\nSummary\n"),
            "{:?}",
            md.visible
        );
        assert_eq!(md.find_heading("### summary"), None);
        assert_eq!(md.code_blocks.len(), 1);
        assert_eq!(md.code_blocks[0].tag, "python");
        assert_eq!(md.code_blocks[0].content, "# not a heading\nx = 1\n");
        assert_eq!(md.code_blocks[0].first_line, 8);
        assert_eq!(md.heading_line(summary), 3);
    }

    #[test]
    fn words_ignore_lone_punctuation() {
        assert_eq!(count_words("- one, two\n- three — 4"), 4);
        assert_eq!(count_characters("  héllo  "), 5);
    }
}
