//! Text rendering of a hierarchy, as zarr-python 3.4.2's `Group.tree()`
//! prints it (plain, without terminal bold).

use super::node::AnyMetadata;
use crate::codec::Endian;
use crate::dtype::DataType;

/// The numpy `str(dtype)` of an array, as zarr-python prints it.
///
/// ```
/// use zarr::group::{numpy_dtype_name, AnyMetadata};
/// use zarr::array::ArrayBuilder;
/// use zarr::dtype::DataType;
/// let m = ArrayBuilder::new(vec![2], DataType::Int32).build_metadata().unwrap();
/// assert_eq!(numpy_dtype_name(&AnyMetadata::Array(m)).as_deref(), Some("int32"));
/// ```
pub fn numpy_dtype_name(node: &AnyMetadata) -> Option<String> {
    match node {
        AnyMetadata::Group { .. } => None,
        AnyMetadata::Array(a) => Some(native_name(a.data_type, None)),
        AnyMetadata::ArrayV2(a) => Some(match a.dtype.as_str() {
            Some("|O") => match a.data_type {
                DataType::String => "StringDType()".to_string(),
                _ => "object".to_string(),
            },
            _ => native_name(a.data_type, a.endian),
        }),
    }
}

fn native_name(data_type: DataType, endian: Option<Endian>) -> String {
    let big = endian == Some(Endian::Big);
    match data_type {
        DataType::String => "StringDType()".into(),
        DataType::Bytes => "object".into(),
        DataType::FixedBytes(n) => format!("|S{n}"),
        DataType::RawBytes(n) => format!("|V{n}"),
        DataType::Struct(s) => struct_name(s),
        DataType::FixedUtf32(n) => format!("{}U{n}", if big { ">" } else { "<" }),
        d if big && d.size().is_some_and(|s| s > 1) => d
            .to_numpy_str(Endian::Big)
            .unwrap_or_else(|| d.name().to_string()),
        d => d.name().to_string(),
    }
}

/// numpy's `str()` of a structured dtype: `[('a', '<i4'), ('b', 'u1')]`.
fn struct_name(s: crate::dtype::StructType) -> String {
    let fields: Vec<String> = s
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Struct(inner) => struct_name(inner),
                DataType::Bool => "'?'".into(),
                d if d.size() == Some(1)
                    || matches!(d, DataType::FixedBytes(_) | DataType::RawBytes(_)) =>
                {
                    let t = d.to_numpy_str(Endian::Little).unwrap_or_default();
                    format!("'{}'", t.trim_start_matches('|'))
                }
                d => format!(
                    "'{}'",
                    d.to_numpy_str(f.endian().unwrap_or(Endian::Little))
                        .unwrap_or_default()
                ),
            };
            format!("({}, {t})", python_str(f.name()))
        })
        .collect();
    format!("[{}]", fields.join(", "))
}

/// Python's `repr()` of a string (quotes and backslashes escaped).
fn python_str(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\"))
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// A shape as a Python tuple: `()`, `(5,)`, `(2, 3)`.
pub(crate) fn python_tuple(shape: &[u64]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// How many nodes a tree shows by default before it is truncated
/// (zarr-python's `max_nodes=500`).
pub const TREE_MAX_NODES: usize = 500;

/// Render `members` (paths relative to the group, as from
/// [`Group::members`](super::Group::members)) under the group's `name`.
///
/// Past `max_nodes` members only `max_nodes` are shown, under zarr-python's
/// note `Truncated at max_nodes=N, some nodes and their children may be
/// missing`. zarr-python keeps the first members its concurrent walk happens
/// to yield; we keep the shallowest, then the first by path, so that the
/// upper levels are whole and the output does not vary from run to run.
pub(crate) fn render(name: &str, members: &[(String, AnyMetadata)], max_nodes: usize) -> String {
    let mut members: Vec<&(String, AnyMetadata)> = members.iter().collect();
    let truncated = members.len() > max_nodes;
    if truncated {
        let depth = |k: &str| k.matches('/').count();
        members.sort_by(|a, b| (depth(&a.0), &a.0).cmp(&(depth(&b.0), &b.0)));
        members.truncate(max_nodes);
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let parent = |k: &str| {
        k.rsplit_once('/')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default()
    };
    let mut children: std::collections::HashMap<String, Vec<&(String, AnyMetadata)>> =
        Default::default();
    for m in &members {
        children.entry(parent(&m.0)).or_default().push(m);
    }
    let mut lines = vec![name.to_string()];
    // (prefix, remaining children), as zarr-python's iterative renderer.
    let mut stack: Vec<(String, std::collections::VecDeque<&(String, AnyMetadata)>)> = vec![(
        String::new(),
        children.get("").cloned().unwrap_or_default().into(),
    )];
    while let Some((prefix, remaining)) = stack.last_mut() {
        let Some((key, node)) = remaining.pop_front() else {
            stack.pop();
            continue;
        };
        let prefix = prefix.clone();
        let is_last = remaining.is_empty();
        let connector = if is_last { "└── " } else { "├── " };
        let base = key.rsplit('/').next().unwrap_or(key);
        match node.shape() {
            None => lines.push(format!("{prefix}{connector}{base}")),
            Some(shape) => lines.push(format!(
                "{prefix}{connector}{base} {} {}",
                python_tuple(shape),
                numpy_dtype_name(node).unwrap_or_default()
            )),
        }
        if let Some(kids) = children.get(key.as_str()) {
            let child_prefix = format!("{prefix}{}", if is_last { "    " } else { "│   " });
            stack.push((child_prefix, kids.clone().into()));
        }
    }
    let note = if truncated {
        format!(
            "Truncated at max_nodes={max_nodes}, some nodes and their children may be missing\n"
        )
    } else {
        String::new()
    };
    note + &lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples() {
        assert_eq!(python_tuple(&[]), "()");
        assert_eq!(python_tuple(&[5]), "(5,)");
        assert_eq!(python_tuple(&[2, 3]), "(2, 3)");
    }
}
