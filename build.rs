//! Compiles proto/ with protox (pure Rust, no system protoc) and generates the
//! tonic services into OUT_DIR, plus the encoded descriptor set for reflection.

use std::path::PathBuf;

use prost::Message;

/// The `.proto` files of one package directory, sorted.
fn protos(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    Ok(files)
}

fn main() -> anyhow::Result<()> {
    let proto_root = PathBuf::from("proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());
    let public = protos(&proto_root.join("alertwhisperer/v1"))?;
    let internal = protos(&proto_root.join("alertwhisperer/internal/v1"))?;

    // Reflection describes the public API only; the replicas' internal
    // service is generated but not listed.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("alertwhisperer_descriptor.bin"),
        protox::compile(&public, [&proto_root])?.encode_to_vec(),
    )?;

    let all: Vec<PathBuf> = public.into_iter().chain(internal).collect();
    tonic_prost_build::configure()
        // RPCs that a later issue implements answer UNIMPLEMENTED through these defaults.
        .generate_default_stubs(true)
        // Requests that are not valid protobuf or hold NUL in a string are
        // INVALID_ARGUMENT (src/grpc/codec.rs); it needs each message's name.
        .codec_path("crate::grpc::codec::Codec")
        .compile_fds_with_config(protox::compile(&all, [&proto_root])?, {
            let mut config = prost_build::Config::new();
            config.enable_type_names();
            config
        })?;
    Ok(())
}
