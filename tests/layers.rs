//! The layers of `src/` and what each may import (docs/architecture.md,
//! "Layers"): the domain decides and imports no I/O; the store persists and
//! knows no transport; the service layer is called by the transports, never
//! the other way; the transports do not call each other. The domain and the
//! store have error enums of their own and do not name the service's
//! `crate::error`, which converts theirs. A `crate::…` path
//! to a forbidden layer outside a file's `#[cfg(test)]` part fails here, so
//! an import cycle cannot come back unnoticed.

use std::path::{Path, PathBuf};

/// (layer, the layers its code may not name).
const RULES: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "store", "owner", "grpc", "webhook", "app", "service", "server", "reports", "notify",
            "executor", "aws", "ingest", "feed", "error",
        ],
    ),
    (
        "store",
        &[
            "owner", "grpc", "webhook", "app", "service", "server", "reports", "error",
        ],
    ),
    ("service", &["grpc", "webhook", "reports", "server"]),
    ("webhook", &["grpc", "reports", "server"]),
    ("grpc", &["webhook", "reports", "server"]),
    ("reports.rs", &["grpc", "webhook", "server"]),
];

fn sources(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("read_dir")
            .map(|entry| entry.expect("entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            sources(&entry, out);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        out.push(path.to_owned());
    }
}

/// The `crate::<module>` paths a file's non-test code names.
fn named_modules(text: &str) -> Vec<(usize, String)> {
    let mut named = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let module: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.push((number + 1, module));
            rest = after;
        }
    }
    named
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut checked = 0;
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        sources(&root.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has no sources");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            checked += 1;
            for (line, module) in named_modules(&text) {
                if forbidden.contains(&module.as_str()) {
                    violations.push(format!(
                        "{}:{line}: {layer} names crate::{module}",
                        file.strip_prefix(&root).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} files checked");
    assert!(
        violations.is_empty(),
        "imports against the layers of docs/architecture.md:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_a_forbidden_path() {
    let named = named_modules(
        "use crate::grpc::AppState;\n// crate::webhook in a comment\n#[cfg(test)]\nuse crate::owner::x;\n",
    );
    assert_eq!(named, vec![(1, "grpc".to_owned())]);
}

/// The transports convert messages to and from the service layer's records;
/// a SeaORM model (`store::entity`) in a handler means behaviour or a
/// conversion that belongs to the service layer has leaked into it.
#[test]
fn no_transport_names_a_database_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for transport in ["grpc", "webhook", "reports.rs"] {
        sources(&root.join(transport), &mut files);
    }
    let mut violations = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            if code.contains("store::entity") {
                violations.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(&root).unwrap_or(file).display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(files.len() > 10, "only {} files checked", files.len());
    assert!(
        violations.is_empty(),
        "SeaORM models named by a transport:\n{}",
        violations.join("\n")
    );
}
