//! Code generated from proto/ by build.rs, and the encoded descriptor set for reflection.

/// The `alertwhisperer` protobuf packages.
#[allow(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used
)]
pub mod alertwhisperer {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("alertwhisperer.v1");
    }

    /// What replicas ask each other (not part of the public API).
    pub mod internal {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("alertwhisperer.internal.v1");
        }
    }
}

pub use alertwhisperer::v1;

/// The encoded `FileDescriptorSet` of every proto file (and its imports).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/alertwhisperer_descriptor.bin"));

/// Full gRPC paths (`/package.Service/Method`) of every served method: those in
/// [`FILE_DESCRIPTOR_SET`] plus health and reflection.
pub fn method_paths() -> Vec<String> {
    use prost::Message;
    let Ok(set) = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET) else {
        return Vec::new();
    };
    let mut paths: Vec<String> = [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.health.v1.Health/List",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ]
    .map(str::to_owned)
    .to_vec();
    for file in set.file {
        let package = file.package.unwrap_or_default();
        for service in file.service {
            let service_name = service.name.unwrap_or_default();
            for method in service.method {
                paths.push(format!(
                    "/{package}.{service_name}/{}",
                    method.name.unwrap_or_default()
                ));
            }
        }
    }
    paths
}
