//! numpy's `datetime64` and `timedelta64`: 64-bit signed counts of a time
//! unit (times a scale factor), with `NaT` ("not a time") as `i64::MIN`.
//!
//! In Zarr V3 (as zarr-python 3.4.2 writes them) the data types are
//! `{"name": "numpy.datetime64", "configuration": {"unit": "ns",
//! "scale_factor": 1}}` (and `numpy.timedelta64`); in V2 they are numpy type
//! strings such as `<M8[ns]`, `<m8[s]` or `>M8[10s]`. Fill values are
//! integers (`NaT` is `-9223372036854775808`); the string `"NaT"` is read
//! too. Elements read and write as `i64`.

use std::fmt;

/// The `NaT` value.
pub const NAT: i64 = i64::MIN;

/// A numpy time unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeUnit {
    /// Years (`Y`).
    Year,
    /// Months (`M`).
    Month,
    /// Weeks (`W`).
    Week,
    /// Days (`D`).
    Day,
    /// Hours (`h`).
    Hour,
    /// Minutes (`m`).
    Minute,
    /// Seconds (`s`).
    Second,
    /// Milliseconds (`ms`).
    Millisecond,
    /// Microseconds (`us`).
    Microsecond,
    /// Nanoseconds (`ns`).
    Nanosecond,
    /// Picoseconds (`ps`).
    Picosecond,
    /// Femtoseconds (`fs`).
    Femtosecond,
    /// Attoseconds (`as`).
    Attosecond,
    /// numpy's generic unit (a `datetime64` without unit).
    Generic,
}

impl TimeUnit {
    const ALL: [TimeUnit; 14] = [
        TimeUnit::Year,
        TimeUnit::Month,
        TimeUnit::Week,
        TimeUnit::Day,
        TimeUnit::Hour,
        TimeUnit::Minute,
        TimeUnit::Second,
        TimeUnit::Millisecond,
        TimeUnit::Microsecond,
        TimeUnit::Nanosecond,
        TimeUnit::Picosecond,
        TimeUnit::Femtosecond,
        TimeUnit::Attosecond,
        TimeUnit::Generic,
    ];

    /// The unit's numpy code (`"ns"`, `"D"`, ...; `"generic"` for the generic unit).
    pub fn code(&self) -> &'static str {
        match self {
            TimeUnit::Year => "Y",
            TimeUnit::Month => "M",
            TimeUnit::Week => "W",
            TimeUnit::Day => "D",
            TimeUnit::Hour => "h",
            TimeUnit::Minute => "m",
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
            TimeUnit::Picosecond => "ps",
            TimeUnit::Femtosecond => "fs",
            TimeUnit::Attosecond => "as",
            TimeUnit::Generic => "generic",
        }
    }

    /// Parse a numpy unit code (`"μs"` is accepted for microseconds).
    pub fn from_code(code: &str) -> Option<Self> {
        if code == "μs" {
            return Some(TimeUnit::Microsecond);
        }
        Self::ALL.iter().copied().find(|u| u.code() == code)
    }
}

/// Whether a time type is a point in time or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// `datetime64` (numpy kind `M`).
    DateTime,
    /// `timedelta64` (numpy kind `m`).
    TimeDelta,
}

/// A `datetime64` or `timedelta64` type: its kind, unit and scale factor
/// (`<M8[10s]` counts tens of seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeType {
    /// Point in time or duration.
    pub kind: TimeKind,
    /// The unit.
    pub unit: TimeUnit,
    /// How many units one count is (at least 1).
    pub scale_factor: u32,
}

impl TimeType {
    /// The V3 data type name: `numpy.datetime64` or `numpy.timedelta64`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            TimeKind::DateTime => "numpy.datetime64",
            TimeKind::TimeDelta => "numpy.timedelta64",
        }
    }

    /// The V3 `data_type` JSON, as zarr-python 3.4.2 writes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name(), "configuration": {
            "unit": self.unit.code(), "scale_factor": self.scale_factor}})
    }

    /// Parse the V3 `data_type` JSON object (name and configuration).
    pub fn from_json(name: &str, configuration: Option<&serde_json::Value>) -> Option<Self> {
        let kind = match name {
            "numpy.datetime64" => TimeKind::DateTime,
            "numpy.timedelta64" => TimeKind::TimeDelta,
            _ => return None,
        };
        let c = configuration?.as_object()?;
        if c.keys().any(|k| k != "unit" && k != "scale_factor") {
            return None;
        }
        let unit = TimeUnit::from_code(c.get("unit")?.as_str()?)?;
        let scale_factor = u32::try_from(c.get("scale_factor")?.as_u64()?)
            .ok()
            .filter(|&s| s > 0)?;
        Some(TimeType {
            kind,
            unit,
            scale_factor,
        })
    }

    /// The numpy type string without byte order: `M8[ns]`, `m8[10s]`, `M8`.
    pub fn numpy_code(&self) -> String {
        let k = match self.kind {
            TimeKind::DateTime => 'M',
            TimeKind::TimeDelta => 'm',
        };
        match (self.unit, self.scale_factor) {
            (TimeUnit::Generic, _) => format!("{k}8"),
            (u, 1) => format!("{k}8[{}]", u.code()),
            (u, s) => format!("{k}8[{s}{}]", u.code()),
        }
    }

    /// Parse a numpy type string without byte order (`M8[ns]`, `m8[10s]`, `M8`).
    pub fn from_numpy_code(code: &str) -> Option<Self> {
        let kind = match code.get(..2)? {
            "M8" => TimeKind::DateTime,
            "m8" => TimeKind::TimeDelta,
            _ => return None,
        };
        let rest = &code[2..];
        if rest.is_empty() {
            return Some(TimeType {
                kind,
                unit: TimeUnit::Generic,
                scale_factor: 1,
            });
        }
        let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
        let digits = inner.chars().take_while(char::is_ascii_digit).count();
        let scale_factor = if digits == 0 {
            1
        } else {
            inner[..digits].parse::<u32>().ok().filter(|&s| s > 0)?
        };
        let unit = TimeUnit::from_code(&inner[digits..]).filter(|u| *u != TimeUnit::Generic)?;
        Some(TimeType {
            kind,
            unit,
            scale_factor,
        })
    }
}

impl fmt::Display for TimeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            TimeKind::DateTime => "datetime64",
            TimeKind::TimeDelta => "timedelta64",
        };
        match (self.unit, self.scale_factor) {
            (TimeUnit::Generic, _) => f.write_str(k),
            (u, 1) => write!(f, "{k}[{}]", u.code()),
            (u, s) => write!(f, "{k}[{s}{}]", u.code()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numpy_codes_round_trip() {
        for code in [
            "M8[ns]", "m8[s]", "M8[D]", "M8[10s]", "m8[ms]", "M8", "m8[3us]", "M8[Y]",
        ] {
            let t = TimeType::from_numpy_code(code).unwrap();
            assert_eq!(t.numpy_code(), code);
        }
        assert_eq!(
            TimeType::from_numpy_code("M8[μs]").unwrap().unit,
            TimeUnit::Microsecond
        );
        for bad in [
            "M8[",
            "M8[]",
            "M8[xs]",
            "M8[0s]",
            "M4[s]",
            "M8[generic]",
            "i8",
        ] {
            assert!(TimeType::from_numpy_code(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn v3_json_like_zarr_python() {
        // zarr-python 3.4.2: create_array(dtype="<M8[10s]") writes this data_type.
        let j =
            json!({"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 10}});
        let t = TimeType::from_json("numpy.datetime64", j.get("configuration")).unwrap();
        assert_eq!(t.to_json(), j);
        assert_eq!(t.to_string(), "datetime64[10s]");
        assert!(TimeType::from_json("numpy.timedelta64", Some(&json!({"unit": "s"}))).is_none());
        assert!(TimeType::from_json(
            "numpy.timedelta64",
            Some(&json!({"unit": "s", "scale_factor": 0}))
        )
        .is_none());
    }
}
