//! Compiles proto/ with protox (pure Rust, no system protoc) and generates the
//! tonic services into OUT_DIR, plus the encoded descriptor set for reflection.

use std::path::PathBuf;

use prost::Message;

fn main() -> anyhow::Result<()> {
    let proto_root = PathBuf::from("proto");
    let package_dir = proto_root.join("alertwhisperer/v1");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let mut files: Vec<PathBuf> = std::fs::read_dir(&package_dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("alertwhisperer_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        // RPCs that a later issue implements answer UNIMPLEMENTED through these defaults.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
