//! Property tests: random shapes, chunk shapes, codecs and selections,
//! written and read back, compared with an in-memory reference.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::json;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::{Selection, SliceArg};
use zarr::dtype::DataType;
use zarr::metadata::CodecMetadata;
use zarr::store::MemoryStore;

fn codecs(choice: u8, ndim: usize) -> (Vec<CodecMetadata>, CodecMetadata, Vec<CodecMetadata>) {
    let c = |v| serde_json::from_value::<CodecMetadata>(v).unwrap();
    let bytes_le = c(json!({"name": "bytes", "configuration": {"endian": "little"}}));
    let bytes_be = c(json!({"name": "bytes", "configuration": {"endian": "big"}}));
    let rev: Vec<usize> = (0..ndim).rev().collect();
    match choice % 6 {
        0 => (vec![], bytes_le, vec![]),
        1 => (
            vec![],
            bytes_be,
            vec![c(
                json!({"name": "zstd", "configuration": {"level": 1, "checksum": true}}),
            )],
        ),
        2 => (
            vec![c(
                json!({"name": "transpose", "configuration": {"order": rev}}),
            )],
            bytes_le,
            vec![c(json!({"name": "gzip", "configuration": {"level": 1}}))],
        ),
        3 => (
            vec![],
            bytes_le,
            vec![
                c(
                    json!({"name": "blosc", "configuration": {"cname": "lz4", "clevel": 3, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}),
                ),
                c(json!({"name": "crc32c"})),
            ],
        ),
        4 => (
            vec![c(
                json!({"name": "transpose", "configuration": {"order": rev}}),
            )],
            bytes_be,
            vec![c(json!({"name": "crc32c"}))],
        ),
        _ => (
            vec![],
            bytes_le,
            vec![c(
                json!({"name": "blosc", "configuration": {"cname": "zstd", "clevel": 1, "shuffle": "bitshuffle", "typesize": 4, "blocksize": 0}}),
            )],
        ),
    }
}

/// Coordinates (flat C-order indices) selected by `slices` on `shape`, in selection order.
fn selected(shape: &[u64], s: &Selection) -> Vec<usize> {
    let r = s.resolve(shape).unwrap();
    let mut out = vec![0usize];
    for (d, dim) in r.dims.iter().enumerate() {
        let stride: u64 = shape[d + 1..].iter().product();
        out = out
            .iter()
            .flat_map(|&base| {
                (0..dim.len).map(move |k| base + ((dim.start + k * dim.step) * stride) as usize)
            })
            .collect();
    }
    if r.num_elements() == 0 {
        out.clear();
    }
    out
}

fn slice_arg(len: u64) -> impl Strategy<Value = SliceArg> {
    let l = len as i64;
    prop_oneof![
        (-(l.max(1))..l.max(1)).prop_map(SliceArg::Index),
        (0..=l, 0..=l, 1i64..4).prop_map(|(a, b, s)| SliceArg::Slice {
            start: Some(a.min(b)),
            stop: Some(a.max(b)),
            step: Some(s)
        }),
        Just(SliceArg::FULL),
    ]
}

/// One generated case: shape, chunk shape, codec choice, writes (selection, seed), final read.
type Case = (
    Vec<u64>,
    Vec<u64>,
    u8,
    Vec<(Vec<SliceArg>, u32)>,
    Vec<SliceArg>,
);

fn case() -> impl Strategy<Value = Case> {
    (1usize..=3)
        .prop_flat_map(|ndim| {
            (
                prop::collection::vec(0u64..9, ndim),
                prop::collection::vec(1u64..5, ndim),
                any::<u8>(),
            )
        })
        .prop_flat_map(|(shape, chunks, c)| {
            let sel = |shape: &[u64]| {
                shape
                    .iter()
                    .map(|&n| slice_arg(n).boxed())
                    .collect::<Vec<_>>()
            };
            let writes = prop::collection::vec((sel(&shape), any::<u32>()), 1..4);
            let read = sel(&shape);
            (Just(shape), Just(chunks), Just(c), writes, read)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]
    #[test]
    fn writes_and_reads_match_a_reference((shape, chunks, choice, writes, read_sel) in case()) {
        // Index selections on empty axes cannot resolve: skip them.
        let ok = |s: &[SliceArg]| Selection(s.to_vec()).resolve(&shape).is_ok();
        let store = Arc::new(MemoryStore::new());
        let (filters, ser, comp) = codecs(choice, shape.len());
        let a = ArrayBuilder::new(shape.clone(), DataType::UInt32)
            .chunks(chunks.clone())
            .fill_value_json(json!(7))
            .filters(filters)
            .serializer(ser)
            .compressors(comp)
            .create(store.clone(), "p")
            .unwrap();
        let n: u64 = shape.iter().product();
        let mut reference = vec![7u32; n as usize];
        for (s, seed) in &writes {
            if !ok(s) { continue; }
            let s = Selection(s.clone());
            let idx = selected(&shape, &s);
            let data: Vec<u32> = (0..idx.len() as u32).map(|i| seed.wrapping_add(i) % 5 + 6).collect();
            a.write_slice(&s, &data).unwrap();
            for (i, &j) in idx.iter().enumerate() { reference[j] = data[i]; }
        }
        let b = Array::open(store, "p").unwrap();
        prop_assert_eq!(b.read_vec::<u32>(&Selection::all()).unwrap(), reference.clone());
        if ok(&read_sel) {
            let s = Selection(read_sel);
            let expect: Vec<u32> = selected(&shape, &s).iter().map(|&j| reference[j]).collect();
            prop_assert_eq!(b.read_vec::<u32>(&s).unwrap(), expect);
        }
    }
}
