//! Property tests of the advanced selections (orthogonal with any steps,
//! index lists and masks; coordinates; whole-array masks; blocks): random
//! shapes (zero-length axes included), chunk and shard shapes, and random
//! selections, read and written through `Array` and read through
//! `AsyncArray`, compared with a reference written here from numpy's rules
//! over an in-memory `ndarray`. 512 cases per kind.

#![allow(clippy::unwrap_used)]

use ndarray::{ArrayD, Dimension, IxDyn};
use proptest::prelude::*;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder, AsyncArray};
use zarr::chunk::{AxisSelection, Query, Selection};
use zarr::dtype::DataType;
use zarr::store::{AsyncStore, MemoryStore, StoreRef, SyncToAsync};

/// A layout: shape, chunk shape, optional shard shape (in chunks per
/// shard), and the codecs ([`codecs`]).
#[derive(Clone, Debug)]
struct Layout {
    shape: Vec<u64>,
    chunks: Vec<u64>,
    shard_factor: Option<Vec<u64>>,
    codecs: u8,
}

/// 0-d to 4-d (axes of up to 8, 5 for 4-d), zero-length axes included.
fn layout() -> impl Strategy<Value = Layout> {
    (0usize..=4)
        .prop_flat_map(|nd| {
            let most = if nd == 4 { 6 } else { 9 };
            (
                prop::collection::vec(0u64..most, nd),
                prop::collection::vec(1u64..5, nd),
                prop::option::of(prop::collection::vec(1u64..3, nd)),
                0u8..5,
            )
        })
        .prop_map(|(shape, chunks, shard_factor, codecs)| Layout {
            shape,
            chunks,
            shard_factor,
            codecs,
        })
}

/// The codecs of choice `c` (filters, compressors) around the default
/// serializer, or the sharding codec when the layout has shards: the
/// defaults; a transpose (reversed axes) before them; the same without a
/// compressor (so a sharded array reads and writes parts of shards through
/// the transpose); a widening `cast_value` (elementwise, lossless) without
/// a compressor; gzip.
fn codecs(
    c: u8,
    nd: usize,
) -> (
    Option<Vec<serde_json::Value>>,
    Option<Vec<serde_json::Value>>,
) {
    use serde_json::json;
    let rev: Vec<usize> = (0..nd).rev().collect();
    let transpose = json!({"name": "transpose", "configuration": {"order": rev}});
    match c {
        0 => (None, None),
        1 => (Some(vec![transpose]), None),
        2 => (Some(vec![transpose]), Some(vec![])),
        3 => (
            Some(vec![
                json!({"name": "cast_value", "configuration": {"data_type": "int64"}}),
            ]),
            Some(vec![]),
        ),
        _ => (
            None,
            Some(vec![json!({"name": "gzip", "configuration": {"level": 1}})]),
        ),
    }
}

/// The shape of the stored objects: the shards of a sharded array (what
/// zarr-python's blocks are), else the chunks.
fn outer(l: &Layout) -> Vec<u64> {
    match &l.shard_factor {
        Some(f) => l.chunks.iter().zip(f).map(|(c, f)| c * f).collect(),
        None => l.chunks.clone(),
    }
}

/// The array, its store, and its reference contents.
fn make(l: &Layout) -> (StoreRef, Array, ArrayD<i32>) {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let mut b =
        ArrayBuilder::new(l.shape.clone(), DataType::Int32).fill_value_json(serde_json::json!(-1));
    match &l.shard_factor {
        Some(f) => {
            let shards: Vec<u64> = l.chunks.iter().zip(f).map(|(c, f)| c * f).collect();
            b = b.chunks(l.chunks.clone()).shards(shards);
        }
        None => b = b.chunks(l.chunks.clone()),
    }
    let parse = |v: Vec<serde_json::Value>| -> Vec<zarr::metadata::CodecMetadata> {
        v.into_iter()
            .map(|c| serde_json::from_value(c).unwrap())
            .collect()
    };
    let (filters, compressors) = codecs(l.codecs, l.shape.len());
    match (&l.shard_factor, filters, compressors) {
        // The builder puts filters inside the shards, as zarr-python does;
        // these go before the sharding codec, which is what partial shard
        // reads and writes behind array-to-array codecs need.
        (Some(f), Some(filters), Some(c)) if c.is_empty() => {
            let shards: Vec<u64> = l.chunks.iter().zip(f).map(|(c, f)| c * f).collect();
            let mut inner = l.chunks.clone();
            if l.codecs == 2 {
                inner.reverse();
            }
            let sharding = serde_json::json!({"name": "sharding_indexed", "configuration": {
                "chunk_shape": inner,
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                "index_location": "end"}});
            b = ArrayBuilder::new(l.shape.clone(), DataType::Int32)
                .fill_value_json(serde_json::json!(-1))
                .chunks(shards)
                .filters(parse(filters))
                .serializer(serde_json::from_value(sharding).unwrap())
                .compressors(vec![]);
        }
        (_, filters, compressors) => {
            if let Some(f) = filters {
                b = b.filters(parse(f));
            }
            if let Some(c) = compressors {
                b = b.compressors(parse(c));
            }
        }
    }
    let a = b.create(store.clone(), "a").unwrap();
    let dims: Vec<usize> = l.shape.iter().map(|&d| d as usize).collect();
    let reference = ArrayD::from_shape_fn(IxDyn(&dims), |ix| {
        ix.slice().iter().fold(7i32, |acc, &i| acc * 31 + i as i32)
    });
    // Leave the last element unwritten (it reads as the fill value).
    let mut r = reference.clone();
    if let Some(last) = r.iter_mut().last() {
        *last = -1;
    }
    if r.len() > 1 {
        let v: Vec<i32> = r.iter().copied().collect();
        let n = v.len() - 1;
        let flat_all: Vec<i32> = v[..n].to_vec();
        // Write all but the last element: every element but the last in C order.
        let mut idx: Vec<Vec<i64>> = vec![Vec::new(); dims.len()];
        for (k, (ix, _)) in r.indexed_iter().enumerate() {
            if k < n {
                for (d, list) in idx.iter_mut().enumerate() {
                    list.push(ix[d] as i64);
                }
            }
        }
        let q = Query::Coordinates(
            idx.into_iter()
                .map(|l| ArrayD::from_shape_vec(IxDyn(&[l.len()]), l).unwrap())
                .collect(),
        );
        a.write_query(
            &q,
            ArrayD::from_shape_vec(IxDyn(&[n]), flat_all)
                .unwrap()
                .view(),
        )
        .unwrap();
    }
    (store, a, r)
}

/// CPython's `slice.indices` (the rule numpy follows), then the range.
fn py_slice(start: Option<i64>, stop: Option<i64>, step: i64, len: i64) -> Vec<i64> {
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let adj = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => (v + len).max(lower),
        Some(v) => v.min(upper),
    };
    let s = adj(start, if step < 0 { upper } else { lower });
    let e = adj(stop, if step < 0 { lower } else { upper });
    let mut out = Vec::new();
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i);
        i += step;
    }
    out
}

fn axis_sel(len: u64) -> impl Strategy<Value = AxisSelection> {
    let l = len as i64;
    let idx = if l > 0 {
        (-l..l).boxed()
    } else {
        Just(0i64).boxed()
    };
    prop_oneof![
        idx.clone().prop_map(AxisSelection::Index),
        (
            prop::option::of(-10i64..10),
            prop::option::of(-10i64..10),
            prop::sample::select(vec![1i64, 2, 3, -1, -2, -3])
        )
            .prop_map(|(start, stop, step)| AxisSelection::Slice {
                start,
                stop,
                step: Some(step)
            }),
        prop::collection::vec(idx, 0..6).prop_map(AxisSelection::Indices),
        prop::collection::vec(any::<bool>(), len as usize).prop_map(AxisSelection::Mask),
    ]
}

/// The reference orthogonal selection: per-axis coordinates (or `None`
/// when an index is out of bounds) and the dropped axes.
fn ref_axes(sel: &[AxisSelection], shape: &[u64]) -> Option<(Vec<Vec<usize>>, Vec<bool>)> {
    let mut coords = Vec::new();
    let mut dropped = Vec::new();
    for (d, &n) in shape.iter().enumerate() {
        let n = n as i64;
        let norm = |i: i64| {
            let j = if i < 0 { i + n } else { i };
            (0..n).contains(&j).then_some(j as usize)
        };
        let (c, drop) = match sel.get(d).unwrap_or(&AxisSelection::FULL) {
            AxisSelection::Index(i) => (vec![norm(*i)?], true),
            AxisSelection::Slice { start, stop, step } => (
                py_slice(*start, *stop, step.unwrap_or(1), n)
                    .into_iter()
                    .map(|i| i as usize)
                    .collect(),
                false,
            ),
            AxisSelection::Indices(v) => {
                (v.iter().map(|&i| norm(i)).collect::<Option<_>>()?, false)
            }
            AxisSelection::NewAxis => unreachable!("not generated"),
            AxisSelection::Mask(m) => (
                m.iter()
                    .enumerate()
                    .filter(|(_, &b)| b)
                    .map(|(i, _)| i)
                    .collect(),
                false,
            ),
        };
        coords.push(c);
        dropped.push(drop);
    }
    Some((coords, dropped))
}

/// The reference read of an orthogonal selection.
fn ref_orthogonal(r: &ArrayD<i32>, coords: &[Vec<usize>], dropped: &[bool]) -> ArrayD<i32> {
    let full: Vec<usize> = coords.iter().map(Vec::len).collect();
    let out = ArrayD::from_shape_fn(IxDyn(&full), |ix| {
        let src: Vec<usize> = ix
            .slice()
            .iter()
            .enumerate()
            .map(|(d, &i)| coords[d][i])
            .collect();
        r[IxDyn(&src)]
    });
    let shape: Vec<usize> = full
        .iter()
        .zip(dropped)
        .filter(|(_, &d)| !d)
        .map(|(&n, _)| n)
        .collect();
    out.into_shape_with_order(IxDyn(&shape)).unwrap()
}

fn ref_write_orthogonal(r: &mut ArrayD<i32>, coords: &[Vec<usize>], values: &ArrayD<i32>) {
    let full: Vec<usize> = coords.iter().map(Vec::len).collect();
    let values = values.view().into_shape_with_order(IxDyn(&full)).unwrap();
    for (ix, &v) in values.indexed_iter() {
        let dst: Vec<usize> = ix
            .slice()
            .iter()
            .enumerate()
            .map(|(d, &i)| coords[d][i])
            .collect();
        r[IxDyn(&dst)] = v;
    }
}

fn async_read(store: &StoreRef, q: &Query) -> ArrayD<i32> {
    let s: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(store.clone()));
    futures::executor::block_on(async {
        let a = AsyncArray::open(s, "a").await.unwrap();
        a.read_query::<i32>(q).await.unwrap()
    })
}

/// New axes (numpy's `None`): the same elements as without them, in
/// length-1 axes where they stand; writes take data of that shape.
#[test]
fn new_axes_read_and_write() {
    let l = Layout {
        shape: vec![5, 4],
        chunks: vec![2, 3],
        shard_factor: Some(vec![2, 1]),
        codecs: 2,
    };
    let (_, a, mut r) = make(&l);
    let q = Query::parse("None,1:4,None,::-2", false).unwrap();
    let plain = Query::parse("1:4,::-2", false).unwrap();
    let got = a.read_query::<i32>(&q).unwrap();
    assert_eq!(got.shape(), &[1, 3, 1, 2]);
    let want = a.read_query::<i32>(&plain).unwrap();
    assert_eq!(
        got.iter().collect::<Vec<_>>(),
        want.iter().collect::<Vec<_>>()
    );
    let values = ArrayD::from_shape_fn(IxDyn(&[1, 3, 1, 2]), |ix| (ix[1] * 10 + ix[3]) as i32);
    a.write_query(&q, values.view()).unwrap();
    for i in 0..3 {
        for (k, j) in [3usize, 1].into_iter().enumerate() {
            r[[1 + i, j]] = (i * 10 + k) as i32;
        }
    }
    assert_eq!(a.read::<i32>(&Selection::all()).unwrap(), r);
    // numpy's broadcasting: a missing leading axis is fine, a missing
    // inner one is not.
    let leading = ArrayD::from_elem(IxDyn(&[3, 1, 2]), 0);
    assert!(a.write_query(&q, leading.view()).is_ok());
    let flat = ArrayD::from_elem(IxDyn(&[3, 2]), 0);
    assert!(a.write_query(&q, flat.view()).is_err());
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn orthogonal_reads_and_writes(
        (l, sel, seed) in layout().prop_flat_map(|l| {
            let axes: Vec<_> = l.shape.iter().map(|&n| axis_sel(n)).collect();
            (Just(l), axes, any::<i32>())
        })
    ) {
        let (store, a, mut r) = make(&l);
        let q = Query::Orthogonal(sel.clone());
        match ref_axes(&sel, &l.shape) {
            None => {
                prop_assert!(a.read_query::<i32>(&q).is_err());
                prop_assert!(a.write_query(&q, ArrayD::from_elem(IxDyn(&[]), 1).view()).is_err());
            }
            Some((coords, dropped)) => {
                let want = ref_orthogonal(&r, &coords, &dropped);
                prop_assert_eq!(&a.read_query::<i32>(&q).unwrap(), &want);
                prop_assert_eq!(&async_read(&store, &q), &want);
                let values = ArrayD::from_shape_fn(want.raw_dim(), |ix| {
                    seed.wrapping_add(ix.slice().iter().fold(0i32, |acc, &i| acc * 17 + i as i32))
                });
                a.write_query(&q, values.view()).unwrap();
                ref_write_orthogonal(&mut r, &coords, &values);
                prop_assert_eq!(&a.read::<i32>(&Selection::all()).unwrap(), &r);
            }
        }
    }

    #[test]
    fn coordinate_reads_and_writes(
        (l, points, seed) in layout().prop_flat_map(|l| {
            let nd = l.shape.len();
            let shape = l.shape.clone();
            let pts = prop::collection::vec(
                shape.iter().map(|&n| if n > 0 { (-(n as i64)..n as i64).boxed() } else { Just(0i64).boxed() }).collect::<Vec<_>>(),
                0..12,
            );
            let _ = nd;
            (Just(l), pts, any::<i32>())
        })
    ) {
        // A 0-d array has no coordinate arrays to carry the points.
        prop_assume!(!l.shape.is_empty());
        let (store, a, mut r) = make(&l);
        let nd = l.shape.len();
        let arrays: Vec<ArrayD<i64>> = (0..nd)
            .map(|d| ArrayD::from_shape_vec(IxDyn(&[points.len()]), points.iter().map(|p| p[d]).collect()).unwrap())
            .collect();
        let q = Query::Coordinates(arrays);
        let norm: Option<Vec<Vec<usize>>> = points
            .iter()
            .map(|p| {
                p.iter()
                    .zip(&l.shape)
                    .map(|(&i, &n)| {
                        let j = if i < 0 { i + n as i64 } else { i };
                        (0..n as i64).contains(&j).then_some(j as usize)
                    })
                    .collect()
            })
            .collect();
        match norm {
            None => prop_assert!(a.read_query::<i32>(&q).is_err()),
            Some(norm) => {
                let want = ArrayD::from_shape_vec(IxDyn(&[norm.len()]), norm.iter().map(|p| r[IxDyn(p)]).collect()).unwrap();
                prop_assert_eq!(&a.read_query::<i32>(&q).unwrap(), &want);
                prop_assert_eq!(&async_read(&store, &q), &want);
                let values: Vec<i32> = (0..norm.len() as i32).map(|k| seed.wrapping_add(k)).collect();
                a.write_query(&q, ArrayD::from_shape_vec(IxDyn(&[norm.len()]), values.clone()).unwrap().view()).unwrap();
                for (p, v) in norm.iter().zip(values) {
                    r[IxDyn(p)] = v; // in order: the last of repeated points wins
                }
                prop_assert_eq!(&a.read::<i32>(&Selection::all()).unwrap(), &r);
            }
        }
    }

    #[test]
    fn mask_reads_and_writes(
        (l, bits, value) in layout().prop_flat_map(|l| {
            let n: u64 = l.shape.iter().product();
            (Just(l), prop::collection::vec(any::<bool>(), n as usize), any::<i32>())
        })
    ) {
        let (store, a, mut r) = make(&l);
        let dims: Vec<usize> = l.shape.iter().map(|&d| d as usize).collect();
        let mask = ArrayD::from_shape_vec(IxDyn(&dims), bits).unwrap();
        let q = Query::Mask(mask.clone());
        let want: Vec<i32> = r.iter().zip(mask.iter()).filter(|(_, &m)| m).map(|(&v, _)| v).collect();
        let want = ArrayD::from_shape_vec(IxDyn(&[want.len()]), want).unwrap();
        prop_assert_eq!(&a.read_query::<i32>(&q).unwrap(), &want);
        prop_assert_eq!(&async_read(&store, &q), &want);
        // A scalar broadcast to every true element.
        a.write_query(&q, ArrayD::from_elem(IxDyn(&[]), value).view()).unwrap();
        r.zip_mut_with(&mask, |v, &m| if m { *v = value });
        prop_assert_eq!(&a.read::<i32>(&Selection::all()).unwrap(), &r);
        // A mask of the wrong shape is refused.
        let wrong = ArrayD::from_elem(IxDyn(&[dims.iter().product::<usize>() + 1]), true);
        prop_assert!(a.read_query::<i32>(&Query::Mask(wrong)).is_err());
    }

    #[test]
    fn block_reads_and_writes(
        (l, blocks, value) in layout().prop_flat_map(|l| {
            let grid: Vec<u64> = l.shape.iter().zip(outer(&l)).map(|(&s, c)| s.div_ceil(c)).collect();
            let per_axis: Vec<_> = grid.iter().map(|&g| {
                let g = g as i64;
                prop_oneof![
                    (-(g.max(1))..g.max(1)).prop_map(|b| format!("{b}")),
                    (0..=g, 0..=g).prop_map(|(s, e)| format!("{s}:{e}")),
                ]
            }).collect();
            (Just(l), per_axis, any::<i32>())
        })
    ) {
        let (store, a, mut r) = make(&l);
        let sel: Selection = blocks.join(",").parse().unwrap();
        let q = Query::Blocks(sel.clone());
        // The reference: blocks as element ranges, every axis kept.
        let mut ranges = Vec::new();
        let mut ok = true;
        for (d, text) in blocks.iter().enumerate() {
            let (cs, n) = (outer(&l)[d] as i64, l.shape[d] as i64);
            let g = (n + cs - 1) / cs;
            let (b0, b1) = match text.split_once(':') {
                None => {
                    let b: i64 = text.parse().unwrap();
                    let b = if b < 0 { b + g } else { b };
                    if !(0..g).contains(&b) { ok = false; }
                    (b, b + 1)
                }
                Some((s, e)) => (s.parse::<i64>().unwrap().min(g), e.parse::<i64>().unwrap().min(g)),
            };
            let (lo, hi) = ((b0 * cs).min(n), (b1 * cs).min(n).max((b0 * cs).min(n)));
            ranges.push(lo as usize..hi as usize);
        }
        if !ok {
            prop_assert!(a.read_query::<i32>(&q).is_err());
            return Ok(());
        }
        let coords: Vec<Vec<usize>> = ranges.iter().map(|r| r.clone().collect()).collect();
        let want = ref_orthogonal(&r, &coords, &vec![false; coords.len()]);
        prop_assert_eq!(&a.read_query::<i32>(&q).unwrap(), &want);
        prop_assert_eq!(&async_read(&store, &q), &want);
        a.write_query(&q, ArrayD::from_elem(IxDyn(&[]), value).view()).unwrap();
        ref_write_orthogonal(&mut r, &coords, &ArrayD::from_elem(want.raw_dim(), value));
        prop_assert_eq!(&a.read::<i32>(&Selection::all()).unwrap(), &r);
    }
}
