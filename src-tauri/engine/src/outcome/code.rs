//! Whether source code parses, with tree-sitter grammars for Python and
//! Rust: a tree with no ERROR or MISSING node. Syntax only; it never runs or
//! type-checks the code.

use tree_sitter::{Node, Parser};

use crate::outcome::rubric::CodeLanguage;

/// The first syntax problem in a piece of code.
pub(crate) struct SyntaxProblem {
    /// 0-based row and column within the code.
    pub row: usize,
    pub column: usize,
    /// What is wrong: "unexpected `:`" or "a missing `)`".
    pub what: String,
}

/// A parser for one language, reused across the blocks of an output.
pub(crate) struct SyntaxChecker {
    parser: Parser,
    language: CodeLanguage,
}

impl SyntaxChecker {
    pub fn new(language: CodeLanguage) -> Result<SyntaxChecker, String> {
        let grammar = match language {
            CodeLanguage::Python => tree_sitter_python::LANGUAGE,
            CodeLanguage::Rust => tree_sitter_rust::LANGUAGE,
        };
        let mut parser = Parser::new();
        parser.set_language(&grammar.into()).map_err(|e| {
            format!(
                "the {} grammar could not be loaded ({e})",
                language.display_name()
            )
        })?;
        Ok(SyntaxChecker { parser, language })
    }

    /// `Ok(None)` when `code` parses cleanly.
    pub fn first_problem(&mut self, code: &str) -> Result<Option<SyntaxProblem>, String> {
        let tree = self.parser.parse(code, None).ok_or_else(|| {
            format!(
                "the {} parser gave up on this code",
                self.language.display_name()
            )
        })?;
        let root = tree.root_node();
        if !root.has_error() {
            return Ok(None);
        }
        Ok(Some(find_problem(root, code).unwrap_or(SyntaxProblem {
            row: 0,
            column: 0,
            what: "a syntax error".into(),
        })))
    }
}

#[cfg(test)]
fn first_syntax_problem(
    language: CodeLanguage,
    code: &str,
) -> Result<Option<SyntaxProblem>, String> {
    SyntaxChecker::new(language)?.first_problem(code)
}

/// Depth-first, in source order, the first ERROR or MISSING node.
fn find_problem(node: Node<'_>, code: &str) -> Option<SyntaxProblem> {
    if node.is_missing() {
        let at = node.start_position();
        return Some(SyntaxProblem {
            row: at.row,
            column: at.column,
            what: format!("a missing `{}`", node.kind()),
        });
    }
    if node.is_error() {
        let at = node.start_position();
        let text = code.get(node.byte_range()).unwrap_or("");
        let first_line = text.lines().next().unwrap_or("").trim();
        let snippet: String = first_line.chars().take(40).collect();
        let ellipsis = if snippet.len() < first_line.len() {
            "…"
        } else {
            ""
        };
        // A lone token is unexpected; a larger ERROR node only says where.
        let what = if snippet.is_empty() {
            "a syntax error".to_string()
        } else if node.child_count() <= 1 && !text.contains(char::is_whitespace) {
            format!("unexpected `{snippet}{ellipsis}`")
        } else {
            format!("a syntax error in `{snippet}{ellipsis}`")
        };
        return Some(SyntaxProblem {
            row: at.row,
            column: at.column,
            what,
        });
    }
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .filter(|c| c.has_error())
        .find_map(|c| find_problem(c, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_rust_good_and_bad() {
        assert!(
            first_syntax_problem(CodeLanguage::Python, "def f(x):\n    return x + 1\n")
                .unwrap()
                .is_none()
        );
        let p = first_syntax_problem(CodeLanguage::Python, "def f(x:\n    return x\n")
            .unwrap()
            .unwrap();
        assert!(p.row <= 1, "{} at {}", p.what, p.row);
        assert!(
            first_syntax_problem(CodeLanguage::Rust, "fn main() { let x = 1; }\n")
                .unwrap()
                .is_none()
        );
        let p = first_syntax_problem(CodeLanguage::Rust, "fn main() { let x = ; }\n")
            .unwrap()
            .unwrap();
        assert_eq!(p.row, 0);
    }
}
