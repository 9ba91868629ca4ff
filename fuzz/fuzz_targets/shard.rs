//! Shards: the index decode (`ShardingCodec::decode_index` over a data range
//! the input gives, and `shard_index` of a whole shard) and the decode of a
//! whole sharded chunk. The first byte picks a layout from
//! `cases::shard_cases()`; the rest is the shard (for `decode_index`: two
//! little-endian u64 bounds of the data range, then the index bytes).
//!
//! Asserts: nothing panics; a decoded index has one entry per inner chunk,
//! every stored entry inside the data range and none overlapping; a decoded
//! shard has exactly the shard's size (or element count), `decode_into`
//! agrees with `decode`, and the decoded shard encodes and decodes back to
//! itself; the live heap stays under 64 MiB.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::ops::Range;
use std::sync::OnceLock;
use zarr::codec::{ChunkSpec, CodecChain, IndexLocation, ShardIndex, ShardingCodec};
use zarr_fuzz::{cases, check_chain, set_limit, Input, MIB};

fn chains() -> &'static [(ChunkSpec, CodecChain)] {
    static CHAINS: OnceLock<Vec<(ChunkSpec, CodecChain)>> = OnceLock::new();
    CHAINS.get_or_init(|| {
        cases::shard_cases()
            .into_iter()
            .map(|c| {
                let chain = c
                    .chain()
                    .unwrap_or_else(|e| panic!("case {}: {e}", c.codecs));
                (c.spec(), chain)
            })
            .collect()
    })
}

fn check_index(index: &ShardIndex, cps: &[u64], data: Range<u64>) {
    assert_eq!(index.chunks_per_shard(), cps);
    assert_eq!(index.len() as u64, cps.iter().product::<u64>());
    let mut stored: Vec<Range<u64>> = (0..index.len()).filter_map(|i| index.get(i)).collect();
    for r in &stored {
        assert!(
            r.start >= data.start && r.end <= data.end && r.start <= r.end,
            "entry {r:?} outside {data:?}"
        );
    }
    stored.sort_by_key(|r| (r.start, r.end));
    for w in stored.windows(2) {
        assert!(
            w[1].start >= w[0].end,
            "entries {:?} and {:?} overlap",
            w[0],
            w[1]
        );
    }
    assert_eq!(index.is_all_empty(), stored.is_empty());
}

fuzz_target!(|data: &[u8]| {
    let chains = chains();
    set_limit(64 * MIB);
    let mut input = Input::new(data);
    let pick = input.byte();
    let (spec, chain) = &chains[pick as usize % chains.len()];
    // The sharding codec sees the spec after the array-to-array codecs.
    let inner = chain.resolve(spec).expect("spec resolves");
    let sharding: &ShardingCodec = chain
        .array_to_bytes()
        .as_sharding()
        .expect("a sharding chain");
    let cps = sharding.chunks_per_shard(&inner).expect("chunks per shard");
    if pick & 0x80 != 0 {
        // The index alone, against a data range from the input.
        let (a, b) = (input.u64(), input.u64());
        let range = a.min(b)..a.max(b);
        if let Ok(index) = sharding.decode_index(input.rest(), &inner, range.clone()) {
            check_index(&index, &cps, range);
        }
        return;
    }
    let shard = input.rest();
    if let Ok(index) = sharding.shard_index(shard, &inner) {
        let r = sharding
            .index_range(&inner, shard.len() as u64)
            .expect("index range");
        let data = match sharding.index_location() {
            IndexLocation::Start => r.end..shard.len() as u64,
            IndexLocation::End => 0..r.start,
        };
        check_index(&index, &cps, data);
    }
    // A sharding chain with bytes-to-bytes codecs after it decodes the outer
    // codecs first; check_chain covers both.
    check_chain(chain, spec, shard, true);
});
