//! The engine's layering, checked on its source: no import cycles between
//! its top-level modules, each layer uses only the layers below it (the
//! order `ARCHITECTURE.md` describes), and only `store/` talks SQL.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom up. A module may use its own layer's modules only as
/// listed in `SAME_LAYER`, and any module of a lower layer.
const LAYERS: &[&[&str]] = &[
    // The error every layer returns.
    &["error"],
    // Foundations: no engine knowledge.
    &["ids", "memory_path", "secrets", "redact", "downloads", "keychain", "provenance", "schedule_spec"],
    // Talking to models (settings come through a trait the store implements).
    &["provider"],
    // The store: every core object and every SQL statement.
    &["store"],
    // What "good work" means; who wrote each memory line; sessions as text.
    &["outcome", "rubric_tools", "receipts", "transcript"],
    // What an agent can do, and running it.
    &["tools", "runtime"],
    // Everything built on runs and the store.
    &["dream", "eval", "data_dir", "mirror", "import", "timeline", "session_export", "memory_export", "os_schedule", "demo", "managed_agents"],
    // The one door for windows.
    &["api"],
];

/// Uses within a layer that are allowed (the user first).
const SAME_LAYER: &[(&str, &str)] = &[
    ("rubric_tools", "outcome"),
    ("runtime", "tools"),
    ("eval", "dream"),
    ("demo", "import"),
    ("os_schedule", "dream"),
    ("managed_agents", "dream"),
    ("managed_agents", "import"),
    ("memory_export", "mirror"),
    ("data_dir", "dream"),
];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Code without comments (line and doc comments), so prose naming a module
/// is not a use, and without its unit tests (`#[cfg(test)]` onwards).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::name` uses, including `crate::{a, b::c}` groups.
fn uses(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            // Top-level names in the group: those not after a `::`.
            let mut depth = 0;
            let mut names = Vec::new();
            let mut current = String::new();
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => names.push(std::mem::take(&mut current)),
                    _ => current.push(c),
                }
            }
            names.push(current);
            names
                .into_iter()
                .map(|n| n.trim().split("::").next().unwrap_or("").to_string())
                .collect()
        } else {
            vec![rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()]
        };
        // The crate root re-exports `Store`, `Error` and `Result`.
        out.extend(names.into_iter().filter_map(|n| match n.as_str() {
            "Store" => Some("store".to_string()),
            "Error" | "Result" => Some("error".to_string()),
            _ => modules.contains(&n).then_some(n),
        }));
    }
    out
}

fn graph() -> (BTreeMap<String, BTreeSet<String>>, Vec<PathBuf>) {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib")
        .collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(f);
        if m == "lib" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let found = uses(&code, &modules);
        deps.entry(m.clone())
            .or_default()
            .extend(found.into_iter().filter(|d| *d != m));
    }
    (deps, files)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn every_module_has_a_layer() {
    let (deps, _) = graph();
    let missing: Vec<&String> = deps.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "modules with no layer in this test and ARCHITECTURE.md: {missing:?}"
    );
}

#[test]
fn each_layer_uses_only_the_layers_below() {
    let (deps, _) = graph();
    let mut wrong = Vec::new();
    for (m, used) in &deps {
        let Some(lm) = layer_of(m) else { continue };
        for d in used {
            let Some(ld) = layer_of(d) else { continue };
            let ok = ld < lm || (ld == lm && SAME_LAYER.contains(&(m.as_str(), d.as_str())));
            if !ok {
                wrong.push(format!("{m} uses {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "uses against the layering: {wrong:?}");
}

#[test]
fn no_import_cycles() {
    let (deps, _) = graph();
    // A use path from a module back to itself.
    fn reaches(
        deps: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        deps.get(from).into_iter().flatten().any(|d| {
            d == to || (seen.insert(d.clone()) && reaches(deps, d, to, seen))
        })
    }
    let cyclic: Vec<&String> = deps
        .keys()
        .filter(|m| reaches(&deps, m, m, &mut BTreeSet::new()))
        .collect();
    assert!(cyclic.is_empty(), "modules on an import cycle: {cyclic:?}");
}

#[test]
fn only_the_store_talks_sql() {
    let (_, files) = graph();
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| module_of(f) != "store")
        .filter(|f| {
            let code = code_of(&std::fs::read_to_string(f).unwrap());
            [".conn()", "params![", "tx.execute(", "tx.query_row("]
                .iter()
                .any(|p| code.contains(p))
        })
        .map(|f| f.strip_prefix(src()).unwrap().display().to_string())
        .collect();
    assert!(offenders.is_empty(), "SQL outside store/: {offenders:?}");
}
