//! Whether a file opens as the format it claims: Office Open XML packages
//! (.docx, .pptx, .xlsx), PDF and CSV. Each opener returns a short
//! description of what it found, or one clause saying what is broken.
//! Reads bytes only: never a path, never the network.

use std::io::{Cursor, Read};

use crate::outcome::rubric::FileFormat;

/// Decompressed bytes one package may hold before it is refused (a zip bomb
/// guard far above any real document).
const MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;

/// Opens `bytes` as `format`. `Ok` describes the file ("a PowerPoint deck
/// with 8 slides"); `Err` is a clause saying what is wrong ("it is not a zip
/// package: ...").
pub(crate) fn open(format: FileFormat, bytes: &[u8]) -> Result<String, String> {
    match format {
        FileFormat::Docx => open_ooxml(bytes, &WORD),
        FileFormat::Pptx => open_ooxml(bytes, &POWERPOINT),
        FileFormat::Xlsx => open_ooxml(bytes, &EXCEL),
        FileFormat::Pdf => open_pdf(bytes),
        FileFormat::Csv => open_csv(bytes),
    }
}

struct OoxmlKind {
    /// Root element of the main part.
    root: &'static str,
    /// The conventional main part, used when `_rels/.rels` does not say.
    main_part: &'static str,
    what: &'static str,
    /// Element counted for the description, and its plural noun.
    counted: (&'static str, &'static str),
}

const WORD: OoxmlKind = OoxmlKind {
    root: "document",
    main_part: "word/document.xml",
    what: "a Word document",
    counted: ("p", "paragraphs"),
};
const POWERPOINT: OoxmlKind = OoxmlKind {
    root: "presentation",
    main_part: "ppt/presentation.xml",
    what: "a PowerPoint deck",
    counted: ("sldId", "slides"),
};
const EXCEL: OoxmlKind = OoxmlKind {
    root: "workbook",
    main_part: "xl/workbook.xml",
    what: "an Excel workbook",
    counted: ("sheet", "sheets"),
};

fn what_is_root(root: &str) -> Option<&'static str> {
    [WORD, POWERPOINT, EXCEL]
        .into_iter()
        .find(|k| k.root == root)
        .map(|k| k.what)
}

/// A valid package: a zip whose every entry decompresses with a good
/// checksum, whose every `.xml`/`.rels` part is well-formed XML, with
/// `[Content_Types].xml`, and whose main part (found through `_rels/.rels`)
/// has the root element of the expected format.
fn open_ooxml(bytes: &[u8], kind: &OoxmlKind) -> Result<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("it is not a zip package ({e})"))?;
    let mut budget = MAX_PACKAGE_BYTES;
    let mut content_types = false;
    let mut package_rels: Option<String> = None;
    let mut parts: Vec<(String, String)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| format!("entry {i} of the package is damaged ({e})"))?;
        let name = entry.name().to_string();
        let mut data = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("part {name} is damaged ({e})"))?;
        if data.len() as u64 > budget {
            return Err("it decompresses to more than 512 MB".into());
        }
        budget -= data.len() as u64;
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".xml") || lower.ends_with(".rels")) {
            continue;
        }
        let xml =
            decode_xml(&data).ok_or_else(|| format!("part {name} is not UTF-8 or UTF-16 text"))?;
        roxmltree::Document::parse(&xml)
            .map_err(|e| format!("part {name} is not well-formed XML ({e})"))?;
        if name == "[Content_Types].xml" {
            content_types = true;
        }
        if name == "_rels/.rels" {
            package_rels = Some(xml.clone());
        }
        parts.push((name, xml));
    }
    if !content_types {
        return Err("it has no [Content_Types].xml, so it is not an Office package".into());
    }
    let main_name = package_rels
        .as_deref()
        .and_then(main_part_target)
        .unwrap_or_else(|| kind.main_part.to_string());
    let main = parts
        .iter()
        .find(|(n, _)| *n == main_name)
        .map(|(_, xml)| xml)
        .ok_or_else(|| format!("its main part {main_name} is missing"))?;
    let doc = roxmltree::Document::parse(main)
        .map_err(|e| format!("part {main_name} is not well-formed XML ({e})"))?;
    let root = doc.root_element().tag_name().name();
    if root != kind.root {
        return Err(match what_is_root(root) {
            Some(other) => format!("it is {other}, not {}", kind.what),
            None => format!(
                "its main part {main_name} holds <{root}>, not the <{}> of {}",
                kind.root, kind.what
            ),
        });
    }
    let (element, noun) = kind.counted;
    let count = doc
        .descendants()
        .filter(|n| n.tag_name().name() == element)
        .count();
    Ok(format!("{} with {count} {noun}", kind.what))
}

/// The target of the package's officeDocument relationship, as a part name.
fn main_part_target(rels: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(rels).ok()?;
    doc.descendants()
        .filter(|n| n.tag_name().name() == "Relationship")
        .find(|n| {
            n.attribute("Type")
                .is_some_and(|t| t.ends_with("/officeDocument"))
        })
        .and_then(|n| n.attribute("Target"))
        .map(|t| t.trim_start_matches('/').to_string())
}

fn decode_xml(data: &[u8]) -> Option<String> {
    match data {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8(data.to_vec()).ok(),
    }
}

fn utf16(data: &[u8], from: fn([u8; 2]) -> u16) -> Option<String> {
    if data.len() % 2 != 0 {
        return None;
    }
    String::from_utf16(
        &data
            .chunks_exact(2)
            .map(|c| from([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .ok()
}

/// A PDF that opens: a `%PDF-` header, an end (`startxref` and `%%EOF` in
/// the last kilobyte, which a truncated file lacks), a cross-reference
/// table and trailer that parse, and at least one page.
fn open_pdf(bytes: &[u8]) -> Result<String, String> {
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_none() {
        return Err("it does not start with a %PDF- header, so it is not a PDF".into());
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if find(tail, b"%%EOF").is_none() || find(tail, b"startxref").is_none() {
        return Err("it is truncated: the end of the file (startxref and %%EOF) is missing".into());
    }
    let doc = lopdf::Document::load_mem(bytes)
        .map_err(|e| format!("it does not parse as a PDF ({e})"))?;
    let pages = doc.get_pages().len();
    if pages == 0 {
        return Err("it has no pages".into());
    }
    let plural = if pages == 1 { "page" } else { "pages" };
    Ok(format!("a PDF {} with {pages} {plural}", doc.version))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A CSV file that opens as a table: comma-separated text, every row with
/// as many fields as the first.
fn open_csv(bytes: &[u8]) -> Result<String, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".into());
    }
    if bytes.contains(&0) {
        return Err("it holds binary data, not comma-separated text".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(bytes);
    let mut rows = 0usize;
    let mut columns = 0usize;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if rows == 0 {
                    columns = record.len();
                }
                rows += 1;
            }
            Err(e) => {
                return Err(match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        pos,
                        expected_len,
                        len,
                    } => {
                        let line = pos.as_ref().map_or(rows + 1, |p| p.line() as usize);
                        format!("line {line} has {len} fields but the first row has {expected_len}")
                    }
                    _ => format!("it does not parse as CSV ({e})"),
                });
            }
        }
    }
    Ok(format!("a CSV table of {rows} rows and {columns} columns"))
}
