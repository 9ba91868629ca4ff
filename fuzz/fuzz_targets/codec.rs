//! Every codec's decode, with the chunk spec it needs: the first byte picks a
//! chain from `cases::codec_cases()` (one per codec the registry knows, for a
//! small 4x3 chunk); the rest is the encoded chunk.
//!
//! Asserts: decoding never panics; it errors or gives exactly the chunk's
//! size (fixed types) or element count (vlen-utf8 / vlen-bytes, UTF-8 checked);
//! `decode_into` agrees with `decode`; for lossless chains, a decoded chunk
//! encodes and decodes back to itself; the live heap stays under 64 MiB
//! (variable-length chunks are bounded at 1 MiB decoded, see
//! `cases::MAX_VARIABLE_CHUNK_BYTES`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zarr::codec::{ChunkSpec, CodecChain};
use zarr_fuzz::{cases, check_chain, set_limit, Input, MIB};

fn chains() -> &'static [(ChunkSpec, CodecChain, bool)] {
    static CHAINS: OnceLock<Vec<(ChunkSpec, CodecChain, bool)>> = OnceLock::new();
    CHAINS.get_or_init(|| {
        cases::codec_cases()
            .into_iter()
            .map(|c| {
                let chain = c
                    .chain()
                    .unwrap_or_else(|e| panic!("case {}: {e}", c.codecs));
                (c.spec(), chain, c.lossless)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let chains = chains();
    set_limit(64 * MIB);
    let mut input = Input::new(data);
    let (spec, chain, lossless) = &chains[input.byte() as usize % chains.len()];
    check_chain(chain, spec, input.rest(), *lossless);
});
