//! Zarr V2 documents: `.zarray`, `.zgroup`, `.zattrs` and `.zmetadata`. The
//! first byte picks the document kind; the rest is the document.
//!
//! Asserts: parsing never panics; the live heap stays under 64 MiB; what
//! parses, written back, parses to the same value (`.zarray`: also its V3
//! equivalent from `to_v3` round-trips as V3 metadata; `.zmetadata`: the
//! members and root attributes survive `encode` then `parse`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::metadata::{ArrayMetadataV2, GroupMetadataV2, NodeMetadata};
use zarr_fuzz::{set_limit, Input, MIB};

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
    let mut input = Input::new(data);
    let kind = input.byte() % 4;
    let doc = input.rest();
    match kind {
        0 => {
            let Ok(m) = ArrayMetadataV2::from_json_bytes(doc, None) else {
                return;
            };
            let written = m.zarray_bytes();
            let again = ArrayMetadataV2::from_json_bytes(&written, Some(&m.zattrs_bytes()))
                .unwrap_or_else(|e| {
                    panic!(
                        ".zarray written back does not parse: {e}\n{}",
                        String::from_utf8_lossy(&written)
                    )
                });
            assert_eq!(m, again, ".zarray round trip");
            if let Ok(v3) = m.to_v3() {
                let bytes = v3.to_json_bytes();
                let back = NodeMetadata::from_json_bytes(&bytes).unwrap_or_else(|e| {
                    panic!(
                        "to_v3 output does not parse: {e}\n{}",
                        String::from_utf8_lossy(&bytes)
                    )
                });
                assert_eq!(NodeMetadata::Array(v3), back, "to_v3 round trip");
            }
        }
        1 => {
            let Ok(g) = GroupMetadataV2::from_json_bytes(doc, None) else {
                return;
            };
            let again =
                GroupMetadataV2::from_json_bytes(&g.zgroup_bytes(), Some(&g.zattrs_bytes()))
                    .expect(".zgroup written back parses");
            assert_eq!(g, again, ".zgroup round trip");
        }
        2 => {
            let Ok(g) = GroupMetadataV2::from_json_bytes(br#"{"zarr_format": 2}"#, Some(doc))
            else {
                return;
            };
            let again =
                GroupMetadataV2::from_json_bytes(&g.zgroup_bytes(), Some(&g.zattrs_bytes()))
                    .unwrap_or_else(|e| panic!(".zattrs written back does not parse: {e}"));
            assert_eq!(g, again, ".zattrs round trip");
        }
        _ => {
            let Ok((root, members)) = zarr::__fuzz::parse_zmetadata(doc, ".zmetadata") else {
                return;
            };
            let attrs = root.clone().unwrap_or_default();
            let written = zarr::__fuzz::encode_zmetadata(&attrs, &members);
            let (root2, members2) = zarr::__fuzz::parse_zmetadata(&written, ".zmetadata")
                .unwrap_or_else(|e| {
                    panic!(
                        ".zmetadata written back does not parse: {e}\n{}",
                        String::from_utf8_lossy(&written)
                    )
                });
            assert_eq!(root2, Some(attrs), ".zmetadata root attributes");
            assert_eq!(members, members2, ".zmetadata members");
        }
    }
});
