//! Generates the tonic clients from the repository's proto/ (no system protoc).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let proto_root = PathBuf::from("../../proto");
    let package_dir = proto_root.join("alertwhisperer/v1");
    println!("cargo:rerun-if-changed={}", package_dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&package_dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    let descriptors = protox::compile(&files, [&proto_root])?;
    tonic_prost_build::configure()
        .build_server(false)
        .compile_fds(descriptors)?;
    Ok(())
}
