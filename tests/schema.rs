//! The JSON Schema shipped in `docs/physrc.schema.json`: it is what the parser's types derive,
//! it accepts every committed config, it refuses what the parser refuses by shape, and
//! `docs/config.md` documents every key it knows.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&physrc::schema::config_schema().to_value())
        .expect("the derived schema is itself a valid JSON Schema")
}

/// A TOML file as the JSON value the schema describes.
fn toml_as_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(table).expect("TOML values map to JSON")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn the_shipped_schema_is_the_derived_one() {
    let shipped = std::fs::read_to_string(root().join("docs/physrc.schema.json"))
        .expect("docs/physrc.schema.json is committed");
    let shipped: Value = serde_json::from_str(&shipped).expect("the shipped schema is JSON");
    // Compared as JSON values: the order of an object's keys depends on serde_json's features,
    // which differ between a test build and the program's.
    assert!(
        shipped == physrc::schema::config_schema().to_value(),
        "docs/physrc.schema.json is stale: regenerate it with \
         `cargo run -- schema > docs/physrc.schema.json`"
    );
}

#[test]
fn every_committed_config_validates_against_the_schema() {
    let validator = validator();
    let mut files = Vec::new();
    toml_files(&root().join("configs"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "configs/ holds the committed configs");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable config");
        let value = toml_as_json(&text);
        for error in validator.iter_errors(&value) {
            failures.push(format!(
                "{}: {} at {}",
                file.display(),
                error,
                error.instance_path()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_schema_refuses_what_the_parser_refuses_by_shape() {
    let validator = validator();
    let good = r#"
        [substrate]
        kind = "esn"
        units = 100
        [task]
        kind = "narma10"
        [split]
        washout = 10
        train = 100
        test = 20
    "#;
    assert!(validator.is_valid(&toml_as_json(good)));
    // Each of these is refused by `physrc run` when the file is loaded; the schema lets an
    // editor flag it while it is typed.
    let bad = [
        (
            "unknown substrate key",
            good.replace("units = 100", "unitz = 100"),
        ),
        (
            "unknown substrate kind",
            good.replace("\"esn\"", "\"quantum\""),
        ),
        (
            "string for a number",
            good.replace("units = 100", "units = \"100\""),
        ),
        (
            "unknown task kind",
            good.replace("\"narma10\"", "\"narma11\""),
        ),
        (
            "unknown section",
            format!("{good}\n[readuot]\nkind = \"ridge\""),
        ),
        (
            "unknown readout key",
            format!("{good}\n[readout]\nkind = \"ridge\"\nalpah = 1.0"),
        ),
        (
            "unknown split key",
            good.replace("test = 20", "test = 20\ntset = 1"),
        ),
    ];
    for (what, text) in bad {
        let value = toml_as_json(&text);
        assert!(
            !validator.is_valid(&value),
            "the schema accepts a config with an {what}"
        );
        // The parser refuses it too: the schema is no stricter than physrc.
        assert!(
            physrc::config::RunConfig::from_toml_str(&text, root(), "test")
                .and_then(|cfg| {
                    let kind = cfg.substrate_kind()?.to_owned();
                    physrc::substrate::build(&kind, &cfg, 1).map(|_| ())
                })
                .is_err(),
            "physrc accepts a config with an {what}"
        );
    }
}

/// Every property name the schema knows, from every object in it.
fn schema_keys(value: &Value, keys: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                keys.extend(properties.keys().cloned());
            }
            for v in map.values() {
                schema_keys(v, keys);
            }
        }
        Value::Array(items) => {
            for v in items {
                schema_keys(v, keys);
            }
        }
        _ => {}
    }
}

#[test]
fn docs_config_md_documents_every_key_of_the_schema() {
    let docs = std::fs::read_to_string(root().join("docs/config.md")).expect("docs/config.md");
    let mut keys = BTreeSet::new();
    schema_keys(&physrc::schema::config_schema().to_value(), &mut keys);
    assert!(
        keys.len() > 100,
        "the schema knows the keys of every substrate"
    );
    // A key is documented when docs/config.md names it as code (`key`, `key = ...`) or as a
    // table (`[key]`, `[substrate.key]`).
    let documented = |k: &str| {
        docs.contains(&format!("`{k}`"))
            || docs.contains(&format!("`{k} ="))
            || docs.contains(&format!("[{k}]"))
            || docs.contains(&format!(".{k}]"))
    };
    let missing: Vec<&String> = keys.iter().filter(|k| !documented(k)).collect();
    assert!(
        missing.is_empty(),
        "docs/config.md does not document these keys of docs/physrc.schema.json: {missing:?}"
    );
}
