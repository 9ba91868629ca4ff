//! Sans-IO writes: a write of a selection is a [`WriteOp`], one
//! [`ChunkWrite`](ChunkWriteUnit) unit per chunk or shard it touches. A unit
//! that covers only part of its chunk asks for the stored value, hands it to
//! the encode step (merge and encode), then asks to store the result only
//! if the stored value is still the one it merged with; when it is not, the
//! unit starts again from the new value (optimistic read-modify-write). A
//! unit that covers its whole chunk encodes at once and stores
//! unconditionally (still ordered with the conditional writes of the key).
//!
//! How "store only if unchanged" happens belongs to the drivers: one
//! `set_if_unchanged` on stores with conditional writes; elsewhere a check
//! and a store under the in-process per-key lock, which blocking and async
//! writers share.

use super::{on_cpu, FieldMap, Request};
use crate::array::engine::{box_to_chunk, lock_key, lock_key_async, ChunkWrite, Engine, OutPtr};
use crate::array::error::{ArrayError, Result};
use crate::buffer::{Buffer, BufferPrototype};
use crate::chunk::{ChunkProjection, Gather, GatherPlan};
use crate::store::{AsyncStore, Expected, Store};
use futures::stream::{self, StreamExt, TryStreamExt};
use rayon::prelude::*;
use std::sync::Arc;

/// The elements a write stores (C order, the selection's shape), borrowed
/// by blocking writes and shared by async ones (whose encode jobs outlive
/// the call's borrows).
pub(crate) enum WriteData<'d> {
    /// Raw native-endian bytes of fixed-size elements.
    Bytes(&'d [u8]),
    /// Variable-length elements.
    Var(&'d [Vec<u8>]),
    /// Raw bytes of fixed-size elements, shared.
    SharedBytes(Arc<dyn AsRef<[u8]> + Send + Sync>),
    /// Variable-length elements, shared.
    SharedVar(Arc<Vec<Vec<u8>>>),
}

/// What the driver answers a unit with.
pub(crate) enum Response {
    /// The first call.
    Start,
    /// The stored value asked for (`None`: missing).
    Data(Option<Buffer>),
    /// The result of the encode step.
    Encoded(ChunkWrite),
    /// Whether the conditional store happened (`false`: the value changed).
    Stored(bool),
}

/// A conditional store: put `value` (`None`: delete) at `key` if the key
/// still holds `old` (not checked when `complete`: the write covers the
/// whole chunk).
pub(crate) struct Put {
    pub(crate) key: String,
    pub(crate) complete: bool,
    pub(crate) old: Option<Buffer>,
    pub(crate) value: Option<Buffer>,
}

impl Put {
    /// What the stored value must be for the store to happen: anything for
    /// a write of the whole chunk, else the value merged with.
    fn expected(&self) -> Expected<'_> {
        if self.complete {
            Expected::Any
        } else {
            Expected::from_value(self.old.as_deref())
        }
    }
}

/// What a unit needs next.
pub(crate) enum WriteStep {
    /// Fetch this stored value.
    NeedsData(Request),
    /// Merge with this stored value (`None`: none) and encode
    /// ([`WriteCtx::encode`]).
    Encode(Option<Buffer>),
    /// Store conditionally.
    Put(Put),
    /// Written.
    Done,
}

enum State {
    Start,
    /// Waiting for the stored value.
    Old,
    /// Waiting for the encode of a merge with `old`.
    Merge {
        old: Option<Buffer>,
    },
    /// Waiting for the conditional store.
    Cas,
    Finished,
}

/// The write of one chunk (or shard): a sans-IO state machine.
pub(crate) struct ChunkWriteUnit {
    index: usize,
    key: String,
    complete: bool,
    state: State,
}

impl ChunkWriteUnit {
    /// The next step, given the answer to the last one.
    pub(crate) fn next(&mut self, response: Response) -> Result<WriteStep> {
        match (
            std::mem::replace(&mut self.state, State::Finished),
            response,
        ) {
            (State::Start, Response::Start) if self.complete => {
                self.state = State::Merge { old: None };
                Ok(WriteStep::Encode(None))
            }
            (State::Start, Response::Start) | (State::Cas, Response::Stored(false)) => {
                self.state = State::Old;
                Ok(WriteStep::NeedsData((self.key.clone(), None)))
            }
            (State::Old, Response::Data(old)) => {
                self.state = State::Merge { old: old.clone() };
                Ok(WriteStep::Encode(old))
            }
            (State::Merge { old }, Response::Encoded(write)) => {
                self.state = State::Cas;
                let value = match write {
                    ChunkWrite::Set(bytes) => Some(Buffer::from(bytes)),
                    ChunkWrite::Delete => None,
                };
                Ok(WriteStep::Put(Put {
                    key: self.key.clone(),
                    complete: self.complete,
                    old,
                    value,
                }))
            }
            (State::Cas, Response::Stored(true)) => Ok(WriteStep::Done),
            _ => Err(ArrayError::Task(format!(
                "internal: writing {}: a step answered out of order",
                self.key
            ))),
        }
    }
}

/// What every unit of one write shares.
pub(crate) struct WriteCtx<'d> {
    engine: Engine,
    chunks: Vec<ChunkProjection>,
    shape: Vec<u64>,
    data: WriteData<'d>,
    /// For a gather (advanced selection): per unit, how its box maps to
    /// the data.
    gathers: Option<Vec<Gather>>,
    /// For a field selection: which bytes of each element the data sets.
    fields: Option<FieldMap>,
}

impl WriteCtx<'_> {
    /// The encode step of unit `index`: merge the data with `existing` (the
    /// stored value, for a partial write) and encode.
    pub(crate) fn encode(
        &self,
        index: usize,
        key: &str,
        existing: Option<&Buffer>,
    ) -> Result<ChunkWrite> {
        if let Some(g) = &self.gathers {
            return self.encode_gather(index, key, existing, &g[index]);
        }
        let existing = existing.map(|b| &b[..]);
        let p = &self.chunks[index];
        match &self.data {
            WriteData::Bytes(b) => self.engine.encode_fixed(p, key, existing, b, &self.shape),
            WriteData::SharedBytes(b) => {
                self.engine
                    .encode_fixed(p, key, existing, (**b).as_ref(), &self.shape)
            }
            WriteData::Var(v) => self.engine.encode_var(p, key, existing, v, &self.shape),
            WriteData::SharedVar(v) => self.engine.encode_var(p, key, existing, v, &self.shape),
        }
    }
}

impl WriteCtx<'_> {
    /// The encode step of a gather unit: the unit's box of the stored value
    /// (or the fill value), the selected elements set from the data in the
    /// data's order (so the last of repeated indices wins, as in numpy),
    /// then merged and encoded like any partial write of that box.
    fn encode_gather(
        &self,
        index: usize,
        key: &str,
        existing: Option<&Buffer>,
        gather: &Gather,
    ) -> Result<ChunkWrite> {
        let p = &self.chunks[index];
        let box_shape: Vec<u64> = p.in_chunk.iter().map(|d| d.len).collect();
        let n: u64 = box_shape.iter().product();
        let engine = &self.engine;
        let bytes = match &self.data {
            WriteData::Bytes(b) => Some(*b),
            WriteData::SharedBytes(b) => Some((**b).as_ref()),
            _ => None,
        };
        if let Some(data) = bytes {
            let size = engine.spec.data_type.size().unwrap_or(1) as u64;
            let mut scratch = engine.alloc_bytes(key, (n * size) as usize)?;
            let sp = OutPtr::new(&mut scratch);
            match &engine.sharded {
                Some(sh) => sh.decode_whole(engine, p, key, existing.cloned(), sp, &box_shape)?,
                None => {
                    engine.decode_fixed_into(p, key, existing.map(|b| &b[..]), sp, &box_shape)?
                }
            }
            match &self.fields {
                None => gather.for_each_run(&box_shape, |b, o, len| {
                    let (b, o, n) = (
                        (b * size) as usize,
                        (o * size) as usize,
                        (len * size) as usize,
                    );
                    scratch[b..b + n].copy_from_slice(&data[o..o + n]);
                }),
                Some(f) => gather.for_each(&box_shape, |b, o| {
                    let (b, o) = ((b * size) as usize, o as usize * f.out_size);
                    for &(dst, len, src) in &f.parts {
                        scratch[b + dst..b + dst + len]
                            .copy_from_slice(&data[o + src..o + src + len]);
                    }
                }),
            }
            return engine.encode_fixed(p, key, existing.map(|b| &b[..]), &scratch, &box_shape);
        }
        let data: &[Vec<u8>] = match &self.data {
            WriteData::Var(v) => v,
            WriteData::SharedVar(v) => v,
            _ => {
                return Err(ArrayError::Task(format!(
                    "internal: writing {key}: no data"
                )))
            }
        };
        let old = engine.decode_var(key, existing.map(|b| &b[..]))?;
        let fill = engine.fill().as_bytes();
        let mut scratch: Vec<Vec<u8>> = engine.alloc_var(key, n as usize)?;
        for (b, slot) in scratch.iter_mut().enumerate() {
            *slot = match &old {
                Some(c) => c
                    .get(box_to_chunk(b as u64, &p.in_chunk, &engine.chunk_shape))
                    .to_vec(),
                None => fill.to_vec(),
            };
        }
        gather.for_each(&box_shape, |b, o| {
            scratch[b as usize] = data[o as usize].clone()
        });
        engine.encode_var(p, key, existing.map(|b| &b[..]), &scratch, &box_shape)
    }
}

/// A write of a selection: its shared context and one unit per chunk.
pub(crate) struct WriteOp<'d> {
    ctx: WriteCtx<'d>,
    units: Vec<ChunkWriteUnit>,
}

impl<'d> WriteOp<'d> {
    /// The write of `data` (already checked against the selection) to the
    /// chunks `chunks` of a selection of shape `shape`.
    pub(crate) fn new(
        engine: &Engine,
        chunks: Vec<ChunkProjection>,
        shape: Vec<u64>,
        data: WriteData<'d>,
    ) -> Self {
        let units = chunks
            .iter()
            .enumerate()
            .map(|(index, p)| ChunkWriteUnit {
                index,
                key: engine.chunk_key(&p.chunk_coords),
                complete: engine.is_complete(p),
                state: State::Start,
            })
            .collect();
        WriteOp {
            ctx: WriteCtx {
                engine: engine.clone(),
                chunks,
                shape,
                data,
                gathers: None,
                fields: None,
            },
            units,
        }
    }

    /// The write of `data` (the plan's elements, C order, already checked)
    /// to the chunks of a gather plan (an advanced selection). Every unit
    /// merges with the stored value.
    pub(crate) fn gather(engine: &Engine, plan: GatherPlan, data: WriteData<'d>) -> Self {
        let (chunks, gathers) = super::read::gather_parts(plan);
        let mut op = Self::new(engine, chunks, Vec::new(), data);
        for u in &mut op.units {
            u.complete = false;
        }
        op.ctx.gathers = Some(gathers);
        op
    }

    /// Make this gather write set only the fields of `map` of each element
    /// (the data holds packed elements of `map.out_size` bytes); the other
    /// fields keep their stored bytes.
    pub(crate) fn with_fields(mut self, map: FieldMap) -> Self {
        self.ctx.fields = Some(map);
        self
    }
}

/// Store `put` if unchanged, on a blocking store.
fn put_blocking(
    store: &dyn Store,
    prototype: &BufferPrototype,
    cas: bool,
    put: Put,
) -> Result<bool> {
    if cas {
        let expected = put.expected();
        return Ok(store.set_if_unchanged(&put.key, expected, put.value.clone())?);
    }
    let Put {
        key,
        complete,
        old,
        value,
    } = put;
    let _guard = lock_key(&key);
    if !complete {
        let current = store.get(&key, prototype, None)?;
        if current.as_deref() != old.as_deref() {
            return Ok(false);
        }
    }
    match value {
        Some(v) => store.set(&key, v)?,
        None => store.delete(&key)?,
    }
    Ok(true)
}

/// Store `put` if unchanged, on an async store.
async fn put_async(
    store: &dyn AsyncStore,
    prototype: &BufferPrototype,
    cas: bool,
    put: Put,
) -> Result<bool> {
    if cas {
        let expected = put.expected();
        return Ok(store
            .set_if_unchanged(&put.key, expected, put.value.clone())
            .await?);
    }
    let Put {
        key,
        complete,
        old,
        value,
    } = put;
    let _guard = lock_key_async(&key).await;
    if !complete {
        let current = store.get(&key, prototype, None).await?;
        if current.as_deref() != old.as_deref() {
            return Ok(false);
        }
    }
    match value {
        Some(v) => store.set(&key, v).await?,
        None => store.delete(&key).await?,
    }
    Ok(true)
}

/// Run every unit of `op` over a blocking store: one rayon task per unit.
pub(crate) fn drive_writes_blocking(
    store: &dyn Store,
    prototype: &BufferPrototype,
    op: WriteOp<'_>,
) -> Result<()> {
    let WriteOp { ctx, units } = op;
    let cas = store.supports_conditional_writes();
    units.into_par_iter().try_for_each(|mut u| {
        let mut response = Response::Start;
        loop {
            response = match u.next(response)? {
                WriteStep::NeedsData((key, range)) => {
                    Response::Data(store.get(&key, prototype, range)?)
                }
                WriteStep::Encode(old) => {
                    Response::Encoded(ctx.encode(u.index, &u.key, old.as_ref())?)
                }
                WriteStep::Put(put) => Response::Stored(put_blocking(store, prototype, cas, put)?),
                WriteStep::Done => return Ok(()),
            };
        }
    })
}

/// Run every unit of `op` over an async store: at most `concurrency` units
/// at once; each encode runs on rayon while other units fetch and store.
pub(crate) async fn drive_writes_async(
    store: &dyn AsyncStore,
    prototype: &BufferPrototype,
    concurrency: usize,
    op: WriteOp<'static>,
) -> Result<()> {
    let WriteOp { ctx, units } = op;
    let ctx = Arc::new(ctx);
    let cas = store.supports_conditional_writes();
    let ctx_ref = &ctx;
    stream::iter(units)
        .map(|mut u| async move {
            let mut response = Response::Start;
            loop {
                response = match u.next(response)? {
                    WriteStep::NeedsData((key, range)) => {
                        Response::Data(store.get(&key, prototype, range).await?)
                    }
                    WriteStep::Encode(old) => {
                        let (ctx, key, index) = (Arc::clone(ctx_ref), u.key.clone(), u.index);
                        Response::Encoded(
                            on_cpu(move || ctx.encode(index, &key, old.as_ref())).await?,
                        )
                    }
                    WriteStep::Put(put) => {
                        Response::Stored(put_async(store, prototype, cas, put).await?)
                    }
                    WriteStep::Done => return Ok::<(), ArrayError>(()),
                };
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await
}
