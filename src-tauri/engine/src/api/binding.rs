//! The API's description for its TypeScript twin: each call's parameters as
//! a plain tree (names, optional or not, type, the words an enum accepts,
//! nested fields), built from the same declarations that route the calls.
//!
//! [`typescript`] renders it as `ui/src/api/engine-methods.ts`, generated
//! and committed. Two checks keep the sides in step: the engine's test
//! (`tests/api_binding.rs`) fails when that file differs from what the
//! engine declares (`REVERIE_BLESS=1` rewrites it), and the UI's type check
//! (`ui/src/api/binding.ts`, part of `npm run build`) fails when the
//! hand-written `ApiMethods` map lacks a call or a parameter, has one the
//! engine does not, or sends a parameter of the wrong type.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// One parameter (or a field of one).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Param {
    /// May be left out (it has a default or may be null).
    pub optional: bool,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object`, `map`
    /// or `any`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The words a text field accepts, when it is an enum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// An object's fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Param>,
}

/// Every call's parameters, by call name.
pub fn describe() -> BTreeMap<String, BTreeMap<String, Param>> {
    super::methods()
        .into_iter()
        .map(|m| {
            let schema = (m.params)();
            let root = schema.as_value();
            let defs = root
                .get("$defs")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (m.name.to_string(), fields(root, &defs))
        })
        .collect()
}

/// Differences between two descriptions, one sentence each (empty: same).
pub fn differences(
    expected: &BTreeMap<String, BTreeMap<String, Param>>,
    actual: &BTreeMap<String, BTreeMap<String, Param>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for name in expected.keys().chain(actual.keys()) {
        match (expected.get(name), actual.get(name)) {
            (Some(_), None) => out.push(format!("{name}: missing")),
            (None, Some(_)) => out.push(format!("{name}: not expected")),
            (Some(a), Some(b)) if a != b => out.push(format!("{name}: parameters differ")),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The description as TypeScript: `EngineMethods`, each call's parameters
/// as the engine reads them.
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated from the engine's API declarations (src-tauri/engine/src/api/).\n\
         // Do not edit: run `REVERIE_BLESS=1 cargo test -p reverie-engine --test api_binding`.\n\n\
         /** Each engine call's parameters, as the engine reads them. */\n\
         export interface EngineMethods {\n",
    );
    for (name, params) in describe() {
        out.push_str(&format!("  '{name}': {}\n", ts_object(&params, 1)));
    }
    out.push_str("}\n");
    out
}

fn ts_object(fields: &BTreeMap<String, Param>, depth: usize) -> String {
    if fields.is_empty() {
        return "Record<string, never>".into();
    }
    let indent = "  ".repeat(depth + 1);
    let mut out = String::from("{\n");
    for (name, p) in fields {
        let (mark, ty) = if p.optional {
            ("?", format!("{} | null", ts_type(p, depth + 1)))
        } else {
            ("", ts_type(p, depth + 1))
        };
        out.push_str(&format!("{indent}{name}{mark}: {ty}\n"));
    }
    out.push_str(&"  ".repeat(depth));
    out.push('}');
    out
}

fn ts_type(p: &Param, depth: usize) -> String {
    match p.kind.as_str() {
        "string" if !p.values.is_empty() => p
            .values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(" | "),
        "string" => "string".into(),
        "integer" | "number" => "number".into(),
        "boolean" => "boolean".into(),
        "array" => "unknown[]".into(),
        "object" if !p.fields.is_empty() => ts_object(&p.fields, depth),
        "object" | "map" => "Record<string, unknown>".into(),
        _ => "unknown".into(),
    }
}

fn fields(schema: &Value, defs: &Map<String, Value>) -> BTreeMap<String, Param> {
    let schema = resolve(schema, defs);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let mut param = param(prop, defs);
            param.optional |= !required.contains(&name.as_str());
            out.insert(name.clone(), param);
        }
    }
    // `#[serde(flatten)]` of an enum or an optional struct lands here.
    for key in ["allOf", "anyOf", "oneOf"] {
        for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            for (name, mut param) in fields(part, defs) {
                param.optional |= key != "allOf";
                out.entry(name).or_insert(param);
            }
        }
    }
    out
}

fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .rsplit('/')
            .next()
            .and_then(|name| defs.get(name))
            .map_or(schema, |s| resolve(s, defs)),
        None => schema,
    }
}

fn param(schema: &Value, defs: &Map<String, Value>) -> Param {
    let schema = resolve(schema, defs);
    let mut optional = false;
    // `Option<T>`: `anyOf: [T, null]` or `type: [T, "null"]`.
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = any
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if non_null.len() == 1 {
            let mut inner = param(non_null[0], defs);
            inner.optional = inner.optional || non_null.len() < any.len();
            return inner;
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => {
            optional = types.iter().any(|t| t == "null");
            types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("any")
                .to_string()
        }
        _ => "any".into(),
    };
    let mut values: Vec<String> = Vec::new();
    for v in schema.get("enum").and_then(Value::as_array).into_iter().flatten() {
        values.extend(v.as_str().map(str::to_string));
    }
    // Documented enum variants come as `oneOf` of constants.
    for key in ["oneOf", "anyOf"] {
        for v in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            let v = resolve(v, defs);
            values.extend(v.get("const").and_then(Value::as_str).map(str::to_string));
            for e in v.get("enum").and_then(Value::as_array).into_iter().flatten() {
                values.extend(e.as_str().map(str::to_string));
            }
        }
    }
    values.sort();
    values.dedup();
    let kind = if !values.is_empty() && kind == "any" {
        "string".to_string()
    } else if kind == "object" && schema.get("additionalProperties").is_some_and(Value::is_object)
    {
        "map".to_string()
    } else {
        kind
    };
    let fields = if kind == "object" {
        fields(schema, defs)
    } else {
        BTreeMap::new()
    };
    Param {
        optional,
        kind,
        values,
        fields,
    }
}
