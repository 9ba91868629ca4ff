//! Sans-IO reads: a read of a selection is a [`ReadOp`], a set of
//! [`ChunkRead`] units (one per chunk or shard the selection touches). Each
//! unit says what it needs next ([`ReadStep::NeedsData`]: the chunk, a shard
//! index, merged inner-chunk ranges) and takes what it asked for, until it
//! hands over its input for the CPU step ([`ReadStep::Decode`]), which
//! [`ReadCtx::decode`] runs straight into the output. No I/O happens here:
//! the two drivers ([`drive_blocking`] over a [`Store`] on rayon, and
//! [`drive_async`] over an [`AsyncStore`] with bounded concurrency and
//! decoding on rayon, never on the async executor) are the only places that
//! touch a store, so the blocking and async front ends share every step of
//! the plan.
//!
//! The model is the push decoder of arrow-rs's parquet reader
//! (`ParquetPushDecoder::try_decode` answering `NeedsData(ranges)` until it
//! is fed): each state is consumed on its transition.

use super::{on_cpu, FieldMap, Request};
use crate::array::engine::{box_to_chunk, Engine, OutPtr, ShardReadPlan};
use crate::array::error::{ArrayError, Result};
use crate::buffer::{Buffer, BufferPrototype};
use crate::chunk::{ChunkProjection, Gather, GatherPlan};
use crate::store::{AsyncStore, Store};
use futures::stream::{self, StreamExt, TryStreamExt};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// What a unit hands to the CPU step.
pub(crate) enum Input {
    /// The whole chunk or shard (`None`: missing, reads as the fill value).
    Whole(Option<Buffer>),
    /// Part of a shard: its plan and one buffer per planned request.
    Planned(ShardReadPlan, Vec<Option<Buffer>>),
}

/// What a [`ChunkRead`] needs next.
pub(crate) enum ReadStep {
    /// Fetch these, in order, and pass the values to [`ChunkRead::next`].
    NeedsData(Vec<Request>),
    /// Everything is fetched: run [`ReadCtx::decode`] on this input.
    Decode(Input),
}

/// Where a unit stands.
enum State {
    /// Nothing asked yet.
    Start,
    /// Waiting for the whole chunk or shard.
    Whole,
    /// Waiting for the index of a shard of which only part is read.
    Index,
    /// Waiting for the planned inner-chunk ranges of a shard.
    Ranges(ShardReadPlan),
    /// The input was handed over.
    Finished,
}

/// The read of one chunk (or shard) of a selection: a sans-IO state machine.
pub(crate) struct ChunkRead {
    /// The projection's position in [`ReadCtx::chunks`].
    pub(crate) index: usize,
    /// The store key of the chunk or shard.
    pub(crate) key: String,
    state: State,
}

impl ChunkRead {
    /// The next step. `data` answers the last [`ReadStep::NeedsData`] (one
    /// value per request, in order); `None` on the first call.
    pub(crate) fn next(
        &mut self,
        ctx: &ReadCtx,
        data: Option<Vec<Option<Buffer>>>,
    ) -> Result<ReadStep> {
        let p = &ctx.chunks[self.index];
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Start => {
                let partial_shard = match &ctx.engine.sharded {
                    Some(sh) if ctx.fixed && !ctx.engine.is_complete(p) => Some(sh),
                    _ => None,
                };
                Ok(match partial_shard {
                    // Part of a shard: its index first (one range request).
                    Some(sh) => {
                        self.state = State::Index;
                        ReadStep::NeedsData(vec![(self.key.clone(), Some(sh.index_request()))])
                    }
                    None => {
                        self.state = State::Whole;
                        ReadStep::NeedsData(vec![(self.key.clone(), None)])
                    }
                })
            }
            State::Whole => Ok(ReadStep::Decode(Input::Whole(one(data, &self.key)?))),
            State::Index => {
                let (Some(sh), Some(index_bytes)) = (&ctx.engine.sharded, one(data, &self.key)?)
                else {
                    // A missing shard reads as the fill value.
                    return Ok(ReadStep::Decode(Input::Whole(None)));
                };
                let index = sh.decode_index(&self.key, &index_bytes, None)?;
                let plan = sh.plan(p, &index, ctx.gap)?;
                let requests = plan.requests(&self.key);
                if requests.is_empty() {
                    return Ok(ReadStep::Decode(Input::Planned(plan, Vec::new())));
                }
                self.state = State::Ranges(plan);
                Ok(ReadStep::NeedsData(requests))
            }
            State::Ranges(plan) => {
                let got = data.ok_or_else(|| internal(&self.key, "ranges not answered"))?;
                Ok(ReadStep::Decode(Input::Planned(plan, got)))
            }
            State::Finished => Err(internal(&self.key, "a finished read was driven again")),
        }
    }
}

/// The single value answering a one-request step.
fn one(data: Option<Vec<Option<Buffer>>>, key: &str) -> Result<Option<Buffer>> {
    let mut v = data.ok_or_else(|| internal(key, "request not answered"))?;
    if v.len() != 1 {
        return Err(internal(key, "one request, several answers"));
    }
    Ok(v.pop().flatten())
}

fn internal(key: &str, what: &str) -> ArrayError {
    ArrayError::Task(format!("internal: reading {key}: {what}"))
}

/// The output of a read.
enum Out {
    /// Fixed-size elements: raw bytes that units write disjoint regions of.
    Fixed(OutPtr),
    /// Variable-length elements, one slot per element.
    Var(Mutex<Vec<Vec<u8>>>),
}

/// What every unit of one read shares: the engine, the chunk projections,
/// the output and its shape.
pub(crate) struct ReadCtx {
    engine: Engine,
    gap: u64,
    fixed: bool,
    chunks: Vec<ChunkProjection>,
    out_shape: Vec<u64>,
    out: Out,
    /// For a gather (advanced selection): per unit, how its box (the
    /// projection's `in_chunk`, decoded into a scratch buffer) maps to the
    /// output.
    gathers: Option<Vec<Gather>>,
    /// For a field selection: which bytes of each element go to the output.
    fields: Option<FieldMap>,
}

impl ReadCtx {
    /// Run the CPU step of `unit` on `input`: decode into the output.
    pub(crate) fn decode(&self, unit_index: usize, key: &str, input: Input) -> Result<()> {
        if let Some(g) = &self.gathers {
            return self.decode_gather(unit_index, key, input, &g[unit_index]);
        }
        let p = &self.chunks[unit_index];
        match (&self.out, input, &self.engine.sharded) {
            (Out::Fixed(out), Input::Whole(enc), Some(sh)) => {
                sh.decode_whole(&self.engine, p, key, enc, *out, &self.out_shape)
            }
            (Out::Fixed(out), Input::Whole(enc), None) => {
                self.engine
                    .decode_fixed_into(p, key, enc.as_deref(), *out, &self.out_shape)
            }
            (Out::Fixed(out), Input::Planned(plan, got), Some(sh)) => {
                sh.decode_planned(&plan, &got, key, *out, &self.out_shape)
            }
            (Out::Var(out), Input::Whole(enc), _) => {
                let v = self.engine.decode_var(key, enc.as_deref())?;
                let mut out = out
                    .lock()
                    .map_err(|_| internal(key, "output lock poisoned"))?;
                self.engine
                    .scatter_var(p, v.as_ref(), &mut out, &self.out_shape);
                Ok(())
            }
            _ => Err(internal(
                key,
                "a planned read of an unsharded or variable-length array",
            )),
        }
    }
}

impl ReadCtx {
    /// The CPU step of a gather unit: decode the unit's box into a scratch
    /// buffer (at most one chunk or shard), then move the selected elements
    /// to their output positions.
    fn decode_gather(
        &self,
        unit_index: usize,
        key: &str,
        input: Input,
        gather: &Gather,
    ) -> Result<()> {
        let p = &self.chunks[unit_index];
        let box_shape: Vec<u64> = p.in_chunk.iter().map(|d| d.len).collect();
        let n: u64 = box_shape.iter().product();
        match &self.out {
            Out::Fixed(out) => {
                let size = self.engine.spec.data_type.size().unwrap_or(1);
                let mut scratch = self.engine.alloc_bytes(key, n as usize * size)?;
                let sp = OutPtr::new(&mut scratch);
                match (input, &self.engine.sharded) {
                    (Input::Whole(enc), Some(sh)) => {
                        sh.decode_whole(&self.engine, p, key, enc, sp, &box_shape)?
                    }
                    (Input::Whole(enc), None) => {
                        self.engine
                            .decode_fixed_into(p, key, enc.as_deref(), sp, &box_shape)?
                    }
                    (Input::Planned(plan, got), Some(sh)) => {
                        sh.decode_planned(&plan, &got, key, sp, &box_shape)?
                    }
                    (Input::Planned(..), None) => {
                        return Err(internal(key, "a planned read of an unsharded array"))
                    }
                }
                let (out, size_u) = (*out, size as u64);
                match &self.fields {
                    None => gather.for_each_run(&box_shape, |b, o, len| {
                        let src = &scratch[(b * size_u) as usize..((b + len) * size_u) as usize];
                        // SAFETY: these are output elements of this unit alone
                        // (units of a gather own disjoint output elements).
                        unsafe { out.write_at((o * size_u) as usize, src) };
                    }),
                    Some(f) => gather.for_each(&box_shape, |b, o| {
                        let (b, o) = (b as usize * size, o as usize * f.out_size);
                        for &(src, len, dst) in &f.parts {
                            // SAFETY: as above; the field lies inside element `o`.
                            unsafe { out.write_at(o + dst, &scratch[b + src..b + src + len]) };
                        }
                    }),
                }
                Ok(())
            }
            Out::Var(out) => {
                let Input::Whole(enc) = input else {
                    return Err(internal(key, "a planned read of variable-length elements"));
                };
                let v = self.engine.decode_var(key, enc.as_deref())?;
                let fill = self.engine.fill().as_bytes();
                let mut out = out
                    .lock()
                    .map_err(|_| internal(key, "output lock poisoned"))?;
                gather.for_each(&box_shape, |b, o| {
                    out[o as usize] = match &v {
                        Some(c) => c
                            .get(box_to_chunk(b, &p.in_chunk, &self.engine.chunk_shape))
                            .to_vec(),
                        None => fill.to_vec(),
                    };
                });
                Ok(())
            }
        }
    }
}

/// The chunk projections of a gather plan's boxes (each decoded on its own,
/// into a scratch of the box's shape) and their gathers.
pub(crate) fn gather_parts(plan: GatherPlan) -> (Vec<ChunkProjection>, Vec<Gather>) {
    plan.into_units()
        .into_iter()
        .map(|u| {
            let ndim = u.bbox.len();
            (
                ChunkProjection {
                    chunk_coords: u.chunk_coords,
                    in_chunk: u.bbox,
                    out_start: vec![0; ndim],
                },
                u.gather,
            )
        })
        .unzip()
}

/// A read of a selection: its shared context and one unit per chunk.
pub(crate) struct ReadOp {
    pub(crate) ctx: ReadCtx,
    pub(crate) units: Vec<ChunkRead>,
}

impl ReadOp {
    fn new(
        engine: &Engine,
        gap: u64,
        chunks: Vec<ChunkProjection>,
        out_shape: Vec<u64>,
        out: Out,
    ) -> Self {
        let units = chunks
            .iter()
            .enumerate()
            .map(|(index, p)| ChunkRead {
                index,
                key: engine.chunk_key(&p.chunk_coords),
                state: State::Start,
            })
            .collect();
        ReadOp {
            ctx: ReadCtx {
                engine: engine.clone(),
                gap,
                fixed: matches!(out, Out::Fixed(_)),
                chunks,
                out_shape,
                out,
                gathers: None,
                fields: None,
            },
            units,
        }
    }

    /// A read of fixed-size elements into `out`.
    ///
    /// # Safety
    /// The memory `out` points to must stay valid, and be written by
    /// nothing else, until every unit's decode has run or been dropped.
    pub(crate) unsafe fn fixed(
        engine: &Engine,
        gap: u64,
        chunks: Vec<ChunkProjection>,
        out_shape: Vec<u64>,
        out: OutPtr,
    ) -> Self {
        Self::new(engine, gap, chunks, out_shape, Out::Fixed(out))
    }

    /// A read of variable-length elements into `out` (one slot per
    /// element of the selection).
    pub(crate) fn var(
        engine: &Engine,
        gap: u64,
        chunks: Vec<ChunkProjection>,
        out_shape: Vec<u64>,
        out: Vec<Vec<u8>>,
    ) -> Self {
        Self::new(engine, gap, chunks, out_shape, Out::Var(Mutex::new(out)))
    }
}

impl ReadOp {
    /// Make this read a gather (an advanced selection).
    fn with_gathers(mut self, gathers: Vec<Gather>) -> Self {
        self.ctx.gathers = Some(gathers);
        self
    }

    /// A gather read of fixed-size elements into `out` (the plan's
    /// elements, C order).
    ///
    /// # Safety
    /// As [`ReadOp::fixed`].
    pub(crate) unsafe fn gather_fixed(
        engine: &Engine,
        gap: u64,
        plan: GatherPlan,
        out: OutPtr,
    ) -> Self {
        let (chunks, gathers) = gather_parts(plan);
        Self::new(engine, gap, chunks, Vec::new(), Out::Fixed(out)).with_gathers(gathers)
    }

    /// Make this gather read copy only the fields of `map` of each element
    /// (into packed output elements of `map.out_size` bytes).
    pub(crate) fn with_fields(mut self, map: FieldMap) -> Self {
        self.ctx.fields = Some(map);
        self
    }

    /// A gather read of variable-length elements into `out`.
    pub(crate) fn gather_var(
        engine: &Engine,
        gap: u64,
        plan: GatherPlan,
        out: Vec<Vec<u8>>,
    ) -> Self {
        let (chunks, gathers) = gather_parts(plan);
        Self::new(engine, gap, chunks, Vec::new(), Out::Var(Mutex::new(out))).with_gathers(gathers)
    }
}

impl ReadCtx {
    /// The variable-length output, once every unit has run.
    pub(crate) fn into_var(self) -> Result<Vec<Vec<u8>>> {
        match self.out {
            Out::Var(m) => m
                .into_inner()
                .map_err(|_| internal("", "output lock poisoned")),
            Out::Fixed(_) => Err(internal("", "not a variable-length read")),
        }
    }
}

/// An output buffer owned by a read (shared with its decode jobs), so that
/// async reads never decode into memory a dropped future gave back.
pub(crate) struct OwnedOut<T>(std::cell::UnsafeCell<Vec<T>>);

// SAFETY: decode jobs write disjoint regions through the raw pointer of
// `out_ptr`; the vector itself is only touched again by `into_inner`, once
// every job has finished (it then holds the only reference).
unsafe impl<T: Send> Send for OwnedOut<T> {}
unsafe impl<T: Send> Sync for OwnedOut<T> {}

impl<T: Send + 'static> OwnedOut<T> {
    /// Own `v` for a read.
    pub(crate) fn new(v: Vec<T>) -> Arc<Self> {
        Arc::new(OwnedOut(std::cell::UnsafeCell::new(v)))
    }

    /// The raw output over the vector's bytes.
    ///
    /// # Safety
    /// `T` must be a plain fixed-size element type (no padding; every bit
    /// pattern a decoder writes is a valid value), and the pointer must be
    /// taken once, before any decode job runs.
    pub(crate) unsafe fn out_ptr(&self) -> OutPtr {
        // SAFETY: no other reference to the vector exists while the pointer
        // is taken (the caller's contract).
        let v = unsafe { &mut *self.0.get() };
        let len = std::mem::size_of_val(v.as_slice());
        // SAFETY: the caller guarantees `T` is plain data without padding.
        OutPtr::new(unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), len) })
    }

    /// The output, once every decode job has finished.
    pub(crate) fn into_inner(self: Arc<Self>) -> Result<Vec<T>> {
        Arc::try_unwrap(self)
            .map(|o| o.0.into_inner())
            .map_err(|_| ArrayError::Task("internal: a decode job outlived its read".into()))
    }
}

/// Run every unit of `op` over a blocking store: one rayon task per unit,
/// fetching what it asks for and decoding on the same worker.
pub(crate) fn drive_blocking(
    store: &dyn Store,
    prototype: &BufferPrototype,
    op: ReadOp,
) -> Result<ReadCtx> {
    let ReadOp { ctx, units } = op;
    units.into_par_iter().try_for_each(|mut u| {
        let mut data = None;
        loop {
            match u.next(&ctx, data.take())? {
                ReadStep::NeedsData(requests) => {
                    data = Some(match requests.as_slice() {
                        [(key, range)] => vec![store.get(key, prototype, *range)?],
                        _ => store.get_partial_values(prototype, &requests)?,
                    });
                }
                ReadStep::Decode(input) => return ctx.decode(u.index, &u.key, input),
            }
        }
    })?;
    Ok(ctx)
}

/// Run every unit of `op` over an async store: at most `concurrency` units
/// at once and at most `concurrency` store requests in flight in all; each
/// decode runs on rayon while other units keep fetching. `keep` is held by
/// every decode job (the owner of the memory a fixed-size output points
/// into), so a dropped future never leaves a job writing freed memory.
pub(crate) async fn drive_async(
    store: &dyn AsyncStore,
    prototype: &BufferPrototype,
    concurrency: usize,
    op: ReadOp,
    keep: Arc<dyn Send + Sync>,
) -> Result<ReadCtx> {
    let ReadOp { ctx, units } = op;
    let ctx = Arc::new(ctx);
    let n = concurrency.max(1);
    let gate = tokio::sync::Semaphore::new(n);
    let (ctx_ref, gate, keep) = (&ctx, &gate, &keep);
    stream::iter(units)
        .map(|mut u| async move {
            let mut data = None;
            loop {
                match u.next(ctx_ref, data.take())? {
                    ReadStep::NeedsData(requests) => {
                        let got: Vec<Option<Buffer>> =
                            stream::iter(requests.into_iter().map(|(key, range)| async move {
                                let _permit = gate
                                    .acquire()
                                    .await
                                    .map_err(|e| ArrayError::Task(e.to_string()))?;
                                Ok::<_, ArrayError>(store.get(&key, prototype, range).await?)
                            }))
                            .buffered(n)
                            .try_collect()
                            .await?;
                        data = Some(got);
                    }
                    ReadStep::Decode(input) => {
                        let (ctx, keep) = (Arc::clone(ctx_ref), Arc::clone(keep));
                        return on_cpu(move || {
                            let _keep = keep;
                            ctx.decode(u.index, &u.key, input)
                        })
                        .await;
                    }
                }
            }
        })
        .buffer_unordered(n)
        .try_collect::<()>()
        .await?;
    Arc::try_unwrap(ctx)
        .map_err(|_| ArrayError::Task("internal: a decode job outlived its read".into()))
}
