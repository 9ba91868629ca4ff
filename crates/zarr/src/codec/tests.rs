//! Tests across codecs: helpers for the per-codec tests, and property tests
//! of whole chains with random data and random codec combinations.

/// Bytes from a hex string (test fixtures).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s = s.as_bytes();
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit {c}"),
    };
    assert!(s.len().is_multiple_of(2), "odd hex length");
    s.chunks_exact(2)
        .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
        .collect()
}

#[allow(clippy::unwrap_used)]
mod chain_props {
    use crate::codec::{ArrayBytes, ChunkSpec, CodecChain, CodecError, VarBytes};
    use crate::dtype::{DataType, FillValue};
    use crate::metadata::CodecMetadata;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// A bytes-to-bytes codec entry with random parameters.
    fn bytes_to_bytes() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0u32..=9).prop_map(|level| json!({"name": "gzip", "configuration": {"level": level}})),
            (-5i32..=5, any::<bool>())
                .prop_map(|(level, checksum)| json!({"name": "zstd", "configuration": {"level": level, "checksum": checksum}})),
            (
                prop::sample::select(vec!["lz4", "lz4hc", "blosclz", "zstd", "snappy", "zlib"]),
                0u8..=9,
                prop::option::of(prop::sample::select(vec!["noshuffle", "shuffle", "bitshuffle"])),
                prop::option::of(1usize..=16),
                prop::sample::select(vec![0usize, 256, 4096]),
            )
                .prop_map(|(cname, clevel, shuffle, typesize, blocksize)| {
                    let mut c = json!({"cname": cname, "clevel": clevel, "blocksize": blocksize});
                    if let Some(s) = shuffle {
                        c["shuffle"] = json!(s);
                    }
                    if let Some(t) = typesize {
                        c["typesize"] = json!(t);
                    }
                    json!({"name": "blosc", "configuration": c})
                }),
            Just(json!({"name": "crc32c"})),
        ]
    }

    fn fixed_type() -> impl Strategy<Value = DataType> {
        prop::sample::select(
            DataType::ALL
                .iter()
                .copied()
                .filter(|d| !d.is_variable_length())
                .collect::<Vec<_>>(),
        )
    }

    /// A chunk: spec, data, and a codec list that suits it.
    fn case() -> impl Strategy<Value = (ChunkSpec, ArrayBytes, Vec<Value>)> {
        let shape = prop::collection::vec(1u64..=5, 1..=3);
        let variable = any::<bool>();
        (shape, variable, fixed_type(), any::<bool>(), any::<bool>(), prop::collection::vec(bytes_to_bytes(), 0..=3), any::<u64>())
            .prop_flat_map(|(shape, variable, fixed, is_string, big, b2b, seed)| {
                let ndim = shape.len();
                let n: u64 = shape.iter().product();
                let dt = if variable { if is_string { DataType::String } else { DataType::Bytes } } else { fixed };
                let perm = Just((0..ndim).collect::<Vec<_>>()).prop_shuffle();
                let transpose = prop::option::of(perm);
                let data: BoxedStrategy<ArrayBytes> = match dt.size() {
                    Some(size) => {
                        let len = (n as usize) * size;
                        if dt == DataType::Bool {
                            prop::collection::vec(0u8..=1, len).prop_map(ArrayBytes::Fixed).boxed()
                        } else {
                            // Mostly smooth data (compressible), sometimes random.
                            prop::collection::vec(any::<u8>(), len)
                                .prop_map(move |v| {
                                    if seed % 2 == 0 {
                                        ArrayBytes::Fixed(v)
                                    } else {
                                        ArrayBytes::Fixed((0..len).map(|i| (i / 7) as u8).collect())
                                    }
                                })
                                .boxed()
                        }
                    }
                    None => {
                        let element: BoxedStrategy<Vec<u8>> =
                            if dt == DataType::String { ".{0,6}".prop_map(String::into_bytes).boxed() } else { prop::collection::vec(any::<u8>(), 0..6).boxed() };
                        prop::collection::vec(element, n as usize)
                            .prop_map(|els| ArrayBytes::Variable(VarBytes::from_elements(els.iter().map(Vec::as_slice))))
                            .boxed()
                    }
                };
                (Just(shape), Just(dt), Just(big), Just(b2b), transpose, data)
            })
            .prop_map(|(shape, dt, big, b2b, transpose, data)| {
                let spec = ChunkSpec { shape, data_type: dt, fill_value: FillValue::default_for(dt) };
                let mut codecs = Vec::new();
                if let Some(order) = transpose {
                    codecs.push(json!({"name": "transpose", "configuration": {"order": order}}));
                }
                codecs.push(match dt {
                    DataType::String => json!({"name": "vlen-utf8", "configuration": {}}),
                    DataType::Bytes => json!({"name": "vlen-bytes", "configuration": {}}),
                    _ => json!({"name": "bytes", "configuration": {"endian": if big { "big" } else { "little" }}}),
                });
                codecs.extend(b2b);
                (spec, data, codecs)
            })
    }

    fn chain(codecs: &[Value], spec: &ChunkSpec) -> CodecChain {
        let metadata: Vec<CodecMetadata> =
            serde_json::from_value(Value::Array(codecs.to_vec())).unwrap();
        CodecChain::from_metadata(&metadata, spec).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn chain_round_trips((spec, data, codecs) in case()) {
            let chain = chain(&codecs, &spec);
            // The metadata round-trips: rebuilding from it gives the same entries.
            let written = chain.to_metadata();
            let again = CodecChain::from_metadata(&written, &spec).unwrap();
            prop_assert_eq!(&again.to_metadata(), &written);

            let encoded = chain.encode(data.clone(), &spec).unwrap();
            if let Some(n) = chain.encoded_size(&spec) {
                prop_assert_eq!(n, encoded.len() as u64);
            }
            prop_assert_eq!(&chain.decode(&encoded, &spec).unwrap(), &data);
            if let ArrayBytes::Fixed(expected) = &data {
                let mut out = vec![0xaau8; expected.len()];
                chain.decode_into(&encoded, &spec, &mut out).unwrap();
                prop_assert_eq!(&out, expected);
            }
        }

        #[test]
        fn corrupt_input_never_panics((spec, data, codecs) in case(), flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4), cut in any::<prop::sample::Index>()) {
            let chain = chain(&codecs, &spec);
            let encoded = chain.encode(data.clone(), &spec).unwrap();
            let mut bad = encoded.clone();
            if !bad.is_empty() {
                for (i, x) in &flips {
                    let i = i.index(bad.len());
                    bad[i] ^= x;
                }
            }
            let fixed = spec.fixed_size().map(|n| n as usize);
            for input in [bad.as_slice(), &encoded[..cut.index(encoded.len() + 1)]] {
                let _ = chain.decode(input, &spec);
                if let Some(n) = fixed {
                    let mut out = vec![0u8; n];
                    let r = chain.decode_into(input, &spec, &mut out);
                    // Bool output is only ever 0 or 1 when decoding succeeds.
                    if r.is_ok() && spec.data_type == DataType::Bool {
                        prop_assert!(out.iter().all(|&b| b <= 1));
                    }
                }
            }
        }
    }

    #[test]
    fn checksummed_chains_detect_corruption() {
        let spec = ChunkSpec {
            shape: vec![64],
            data_type: DataType::UInt16,
            fill_value: FillValue::default_for(DataType::UInt16),
        };
        let data: Vec<u8> = (0u16..64).flat_map(|v| v.to_ne_bytes()).collect();
        for codecs in [
            json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]),
            json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1, "checksum": false}}, {"name": "crc32c"}]),
            json!([{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "crc32c"}, {"name": "gzip", "configuration": {"level": 1}}]),
        ] {
            let Value::Array(codecs) = codecs else {
                unreachable!()
            };
            let chain = chain(&codecs, &spec);
            let encoded = chain
                .encode(ArrayBytes::Fixed(data.clone()), &spec)
                .unwrap();
            // Corruption is an error, or harmless (gzip's mtime and OS bytes,
            // deflate's padding bits): never silently different data.
            for i in 0..encoded.len() {
                let mut bad = encoded.clone();
                bad[i] ^= 0x10;
                if let Ok(decoded) = chain.decode(&bad, &spec) {
                    assert_eq!(
                        decoded,
                        ArrayBytes::Fixed(data.clone()),
                        "byte {i} of {codecs:?}"
                    );
                }
                let mut out = vec![0u8; data.len()];
                if chain.decode_into(&bad, &spec, &mut out).is_ok() {
                    assert_eq!(out, data, "byte {i} of {codecs:?}");
                }
            }
        }
    }

    #[test]
    fn bool_chunks_reject_other_values() {
        let spec = ChunkSpec {
            shape: vec![8],
            data_type: DataType::Bool,
            fill_value: FillValue::default_for(DataType::Bool),
        };
        let codecs = vec![
            json!({"name": "bytes"}),
            json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}}),
        ];
        let chain = chain(&codecs, &spec);
        let bad = chain
            .encode(ArrayBytes::Fixed(vec![0, 1, 2, 0, 0, 0, 0, 0]), &spec)
            .unwrap();
        assert!(matches!(
            chain.decode(&bad, &spec),
            Err(CodecError::Decode { .. })
        ));
        let mut out = [0u8; 8];
        assert!(matches!(
            chain.decode_into(&bad, &spec, &mut out),
            Err(CodecError::Decode { .. })
        ));
    }
}
