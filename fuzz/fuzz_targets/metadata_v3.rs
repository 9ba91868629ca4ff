//! V3 `zarr.json` documents (arrays and groups, consolidated metadata included).
//!
//! Asserts: parsing never panics; the live heap stays under 64 MiB (inputs are
//! at most a few KiB; see `scripts/fuzz.sh`); what parses, written back
//! (`to_json_bytes`, the bytes zarr-python writes), parses to the same value;
//! a group's `consolidated_metadata`, when it parses, encodes to a value that
//! parses to the same members.
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::group::{AnyMetadata, MemberMap};
use zarr::metadata::NodeMetadata;
use zarr_fuzz::{set_limit, MIB};

/// A V2 group inside V3 consolidated metadata is written back as a V3 group
/// (zarr-python does the same): compare groups without their format.
fn normalized(m: &MemberMap) -> MemberMap {
    m.iter()
        .map(|(k, v)| {
            let v = match v {
                AnyMetadata::Group { metadata, .. } => AnyMetadata::Group {
                    zarr_format: 3,
                    metadata: metadata.clone(),
                },
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
    let Ok(node) = NodeMetadata::from_json_bytes(data) else {
        return;
    };
    let written = node.to_json_bytes();
    let again = NodeMetadata::from_json_bytes(&written).unwrap_or_else(|e| {
        panic!(
            "written metadata does not parse: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(node, again, "round trip changed the metadata");
    // The in-memory document parses back the same too.
    assert_eq!(
        NodeMetadata::from_json(&node.to_json()).ok().as_ref(),
        Some(&node)
    );

    if let NodeMetadata::Group(g) = &node {
        if let Some(c) = &g.consolidated_metadata {
            if let Ok(members) = zarr::__fuzz::parse_consolidated_v3(c, "zarr.json") {
                let encoded = zarr::__fuzz::encode_consolidated_v3(&members);
                let back = zarr::__fuzz::parse_consolidated_v3(&encoded, "zarr.json")
                    .unwrap_or_else(|e| {
                        panic!("encoded consolidated metadata does not parse: {e}\n{encoded}")
                    });
                assert_eq!(
                    normalized(&members),
                    normalized(&back),
                    "consolidated round trip"
                );
            }
        }
    }
});
