//! `zarr info`: describe an array or a group.

use crate::util::{self, codec_text, human_bytes, in_store, shape_text, Result};
use crate::InfoArgs;
use serde_json::{json, Map, Value};
use zarr::array::{Array, ArrayConfig};
use zarr::metadata::{
    ArrayMetadata, ArrayMetadataV2, GroupMetadata, GroupMetadataV2, NodeMetadata,
};
use zarr::store::StoreRef;

/// Read and parse the metadata of a node: the raw JSON (`zarr.json`, or
/// `.zarray` / `.zgroup` for V2), the parsed metadata (for a V2 array, its
/// V3 equivalent) and the Zarr format.
pub fn read_node(
    store: &StoreRef,
    store_path: &std::path::Path,
    path: &str,
) -> Result<(Value, NodeMetadata, u8)> {
    let get =
        |key: &str| zarr::store::get_document(store.as_ref(), key).map_err(in_store(store_path));
    let json = |key: &str, bytes: &[u8]| -> Result<Value> {
        zarr::metadata::json::parse(bytes)
            .map_err(|e| format!("{}: {key}: invalid JSON: {e}", store_path.display()))
    };
    let key = util::node_key(path);
    let in_key = |key: &str| {
        let key = key.to_string();
        move |e: zarr::metadata::MetadataError| format!("{}: {key}: {e}", store_path.display())
    };
    if let Some(bytes) = get(&key)? {
        let raw = json(&key, &bytes)?;
        let node = NodeMetadata::from_json(&raw).map_err(in_key(&key))?;
        return Ok((raw, node, 3));
    }
    let zattrs = get(&util::v2_key(path, ".zattrs"))?;
    let zkey = util::v2_key(path, ".zarray");
    if let Some(bytes) = get(&zkey)? {
        let raw = json(&zkey, &bytes)?;
        let m =
            ArrayMetadataV2::from_json_bytes(&bytes, zattrs.as_deref()).map_err(in_key(&zkey))?;
        let v3 = m.to_v3().map_err(in_key(&zkey))?;
        return Ok((raw, NodeMetadata::Array(v3), 2));
    }
    let gkey = util::v2_key(path, ".zgroup");
    if let Some(bytes) = get(&gkey)? {
        let raw = json(&gkey, &bytes)?;
        let g =
            GroupMetadataV2::from_json_bytes(&bytes, zattrs.as_deref()).map_err(in_key(&gkey))?;
        let g = GroupMetadata {
            attributes: g.attributes,
            ..Default::default()
        };
        return Ok((raw, NodeMetadata::Group(g), 2));
    }
    Err(format!(
        "{}: no array or group at path {:?} ({key} not found, nor V2 {zkey} or {gkey})",
        store_path.display(),
        path
    ))
}

/// The array of a node read by [`read_node`].
pub fn open_array(
    store: &StoreRef,
    store_path: &std::path::Path,
    path: &str,
    m: ArrayMetadata,
    format: u8,
) -> Result<Array> {
    if format == 2 {
        Array::open(store.clone(), path).map_err(in_store(store_path))
    } else {
        Array::from_metadata(store.clone(), path, m, ArrayConfig::default())
            .map_err(in_store(store_path))
    }
}

/// Run `zarr info`.
pub fn run(args: &InfoArgs) -> Result<()> {
    let store = util::open_store(&args.store, true)?;
    let path = args.path.trim_matches('/').to_string();
    let (raw, node, format) = read_node(&store, &args.store, &path)?;
    let prefix = zarr::node_path::prefix(&path);
    // Includes the node's own zarr.json.
    let stored = store
        .getsize_prefix(&prefix)
        .map_err(in_store(&args.store))?;
    match node {
        NodeMetadata::Array(m) => array_info(args, &store, &path, raw, m, format, stored),
        NodeMetadata::Group(g) => group_info(args, &store, &path, raw, g, format, stored),
    }
}

fn array_info(
    args: &InfoArgs,
    store: &StoreRef,
    path: &str,
    raw: Value,
    m: ArrayMetadata,
    format: u8,
    stored: u64,
) -> Result<()> {
    // Validates the codec chain against the array (a clear error if it does not fit).
    let a = open_array(store, &args.store, path, m, format)?;
    let m = a.metadata();
    let n_elements: u128 = m.shape.iter().map(|&d| d as u128).product();
    let grid = a.chunk_grid_shape();
    let n_chunks: u128 = grid.iter().map(|&d| d as u128).product();
    let prefix = zarr::node_path::prefix(path);
    let stored_chunks = store
        .list_prefix(&prefix)
        .map_err(in_store(&args.store))?
        .iter()
        .filter(|k| {
            let name = k.rsplit('/').next().unwrap_or(k);
            !matches!(name, "zarr.json" | ".zarray" | ".zattrs" | ".zgroup")
        })
        .count();
    let raw_size = m
        .data_type
        .size()
        .map(|s| n_elements.saturating_mul(s as u128));
    let fill = m.data_type.fill_value_to_json(&m.fill_value);
    // Sharded: the grid's chunks are shards holding inner chunks.
    let inner = a.inner_chunk_shape();
    let shard_shape = inner.as_ref().map(|_| m.chunk_shape().to_vec());
    if args.json {
        let out = json!({
            "store": args.store.display().to_string(),
            "path": path,
            "node_type": "array",
            "zarr_format": format,
            "shape": m.shape,
            "data_type": m.data_type.name(),
            "chunk_shape": m.chunk_shape(),
            "shard_shape": shard_shape,
            "inner_chunk_shape": inner,
            "chunk_grid_shape": grid,
            "chunks_total": n_chunks as u64,
            "chunks_stored": stored_chunks,
            "codecs": m.codecs,
            "fill_value": fill,
            "attributes": m.attributes,
            "dimension_names": m.dimension_names,
            "uncompressed_size_bytes": raw_size.map(|s| s as u64),
            "stored_size_bytes": stored,
            "stored_size": human_bytes(stored),
            "metadata": raw,
        });
        println!("{}", zarr::metadata::json::to_string_pretty(&out));
        return Ok(());
    }
    let where_ = if path.is_empty() { "/" } else { path };
    println!("Array {where_} in {}", args.store.display());
    println!("  format:           Zarr V{format}");
    if let Some(v2) = a.metadata_v2() {
        println!(
            "  V2 dtype:         {} (order {:?}, separator {:?})",
            v2.dtype
                .as_str()
                .map_or_else(|| v2.dtype.to_string(), str::to_string),
            v2.order,
            v2.separator()
        );
    }
    println!("  shape:            {}", shape_text(&m.shape));
    println!("  data type:        {}", m.data_type);
    match &inner {
        Some(inner) => {
            let per_shard: u128 = m
                .chunk_shape()
                .iter()
                .zip(inner)
                .map(|(&s, &c)| (s / c.max(1)) as u128)
                .product();
            println!(
                "  shards:           {} ({} shards in a {} grid, {} stored)",
                shape_text(m.chunk_shape()),
                n_chunks,
                shape_text(&grid),
                stored_chunks
            );
            println!(
                "  inner chunks:     {} ({per_shard} per shard)",
                shape_text(inner)
            );
        }
        None => println!(
            "  chunks:           {} ({} chunks in a {} grid, {} stored)",
            shape_text(m.chunk_shape()),
            n_chunks,
            shape_text(&grid),
            stored_chunks
        ),
    }
    println!(
        "  codecs:           {}",
        m.codecs
            .iter()
            .map(codec_text)
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    println!("  fill value:       {fill}");
    if let Some(names) = &m.dimension_names {
        let names: Vec<String> = names
            .iter()
            .map(|n| n.clone().unwrap_or_else(|| "-".into()))
            .collect();
        println!("  dimension names:  {}", names.join(", "));
    }
    println!("  attributes:       {}", attributes_text(&m.attributes));
    match raw_size {
        Some(r) if stored > 0 && r > 0 => println!(
            "  stored size:      {} ({stored} bytes; {} uncompressed, ratio {:.2}x)",
            human_bytes(stored),
            human_bytes(r.min(u64::MAX as u128) as u64),
            r as f64 / stored as f64
        ),
        _ => println!(
            "  stored size:      {} ({stored} bytes)",
            human_bytes(stored)
        ),
    }
    Ok(())
}

fn attributes_text(a: &Map<String, Value>) -> String {
    if a.is_empty() {
        "(none)".into()
    } else {
        zarr::metadata::json::to_string(&Value::Object(a.clone()))
    }
}

/// The inner chunk shape of a sharded array (its `sharding_indexed` codec's
/// `chunk_shape`); `None` when it is not sharded.
fn inner_chunk_shape(m: &ArrayMetadata) -> Option<Vec<u64>> {
    m.codecs
        .iter()
        .find(|c| c.name == "sharding_indexed")
        .and_then(|c| c.get("chunk_shape"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// One member of a group, described.
fn member(store: &StoreRef, path: &str, name: &str) -> (String, Value) {
    let child = util::join(path, name);
    let key = util::node_key(&child);
    let parsed = match zarr::store::get_document(store.as_ref(), &key) {
        Ok(Some(bytes)) => Some(NodeMetadata::from_json_bytes(&bytes).map_err(|e| e.to_string())),
        Ok(None) => {
            let v2 = |name: &str| {
                zarr::store::get_document(store.as_ref(), &util::v2_key(&child, name))
                    .ok()
                    .flatten()
            };
            if let Some(b) = v2(".zarray") {
                Some(
                    ArrayMetadataV2::from_json_bytes(&b, None)
                        .and_then(|m| m.to_v3())
                        .map(NodeMetadata::Array)
                        .map_err(|e| e.to_string()),
                )
            } else {
                v2(".zgroup").map(|_| Ok(NodeMetadata::Group(GroupMetadata::default())))
            }
        }
        Err(e) => Some(Err(e.to_string())),
    };
    match parsed {
        Some(Ok(NodeMetadata::Array(m))) => {
            let inner = inner_chunk_shape(&m);
            let chunks = match &inner {
                Some(i) => format!(
                    "shards {}  inner chunks {}",
                    shape_text(m.chunk_shape()),
                    shape_text(i)
                ),
                None => format!("chunks {}", shape_text(m.chunk_shape())),
            };
            (
                format!(
                    "{name}  array  {}  {}  {chunks}",
                    m.data_type,
                    shape_text(&m.shape)
                ),
                json!({"name": name, "node_type": "array", "shape": m.shape,
                       "data_type": m.data_type.name(), "chunk_shape": m.chunk_shape(),
                       "shard_shape": inner.as_ref().map(|_| m.chunk_shape()),
                       "inner_chunk_shape": inner}),
            )
        }
        Some(Ok(NodeMetadata::Group(_))) => (
            format!("{name}  group"),
            json!({"name": name, "node_type": "group"}),
        ),
        Some(Err(e)) => (
            format!("{name}  (invalid {key}: {})", util::one_line(&e)),
            json!({"name": name, "node_type": null, "error": format!("{key}: {e}")}),
        ),
        None => (
            format!("{name}  (no zarr.json)"),
            json!({"name": name, "node_type": null}),
        ),
    }
}

fn group_info(
    args: &InfoArgs,
    store: &StoreRef,
    path: &str,
    raw: Value,
    g: GroupMetadata,
    format: u8,
    stored: u64,
) -> Result<()> {
    let mut names = store.list_dir(path).map_err(in_store(&args.store))?;
    names.retain(|n| {
        !matches!(
            n.as_str(),
            "zarr.json" | ".zgroup" | ".zattrs" | ".zmetadata"
        )
    });
    names.sort();
    let members: Vec<(String, Value)> = names.iter().map(|n| member(store, path, n)).collect();
    // A member with bad metadata is reported below, not fatal.
    let summary = hierarchy_summary(store, path);
    if args.json {
        let out = json!({
            "store": args.store.display().to_string(),
            "path": path,
            "node_type": "group",
            "zarr_format": format,
            "attributes": g.attributes,
            "members": members.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            "hierarchy": match &summary {
                Ok((arrays, groups, consolidated)) =>
                    json!({"arrays": arrays, "groups": groups, "consolidated": consolidated}),
                Err(e) => json!({"error": e.to_string()}),
            },
            "stored_size_bytes": stored,
            "stored_size": human_bytes(stored),
            "metadata": raw,
        });
        println!("{}", zarr::metadata::json::to_string_pretty(&out));
        return Ok(());
    }
    let where_ = if path.is_empty() { "/" } else { path };
    println!("Group {where_} in {}", args.store.display());
    println!("  format:       Zarr V{format}");
    println!("  attributes:   {}", attributes_text(&g.attributes));
    println!("  stored size:  {} ({stored} bytes)", human_bytes(stored));
    match &summary {
        Ok((arrays, groups, consolidated)) => println!(
            "  hierarchy:    {arrays} array{}, {groups} group{} below (all levels){}",
            if *arrays == 1 { "" } else { "s" },
            if *groups == 1 { "" } else { "s" },
            if *consolidated {
                "; consolidated metadata"
            } else {
                ""
            }
        ),
        Err(e) => println!(
            "  hierarchy:    (not readable: {})",
            util::one_line(&e.to_string())
        ),
    }
    if members.is_empty() {
        println!("  members:      (none)");
    } else {
        println!("  members:");
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for ((text, _), name) in members.iter().zip(&names) {
            let pad = " ".repeat(width - name.chars().count());
            println!("    {name}{pad}{}", &text[name.len()..]);
        }
    }
    Ok(())
}

/// The arrays and groups below the group at `path` (all levels), and
/// whether it has consolidated metadata (the counts then come from it).
fn hierarchy_summary(
    store: &StoreRef,
    path: &str,
) -> std::result::Result<(usize, usize, bool), zarr::group::GroupError> {
    let g = zarr::group::Group::open(
        store.clone(),
        path,
        None,
        zarr::group::UseConsolidated::Auto,
    )?;
    let all = g.members_metadata(None)?;
    let groups = all.iter().filter(|(_, m)| m.is_group()).count();
    Ok((
        all.len() - groups,
        groups,
        g.consolidated_metadata().is_some(),
    ))
}
