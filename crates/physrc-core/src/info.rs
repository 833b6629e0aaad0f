use serde::Serialize;
use std::fmt;

/// A parameter value as reported by [`Reservoir::info`](crate::Reservoir::info).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A real number.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// Free text (a model name, a geometry).
    Text(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Text(v) => f.write_str(v),
        }
    }
}

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<usize> for ParamValue {
    fn from(v: usize) -> Self {
        ParamValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u64> for ParamValue {
    fn from(v: u64) -> Self {
        ParamValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Text(v.to_owned())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Text(v)
    }
}

/// A substrate's name and parameters, for reports and logs.
///
/// Parameters keep their insertion order, so a report lists them as the substrate documents
/// them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    /// Short substrate name, such as `"esn"` or `"memristor"`.
    pub name: String,
    /// Parameters as key/value pairs. They serialise as one map (`{"units": 500, ...}`) in
    /// insertion order, which is what a reader of `report.json` expects.
    #[serde(serialize_with = "params_as_map")]
    pub params: Vec<(String, ParamValue)>,
}

fn params_as_map<S: serde::Serializer>(
    params: &[(String, ParamValue)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(params.iter().map(|(k, v)| (k, v)))
}

impl Info {
    /// An info with a name and no parameters yet.
    pub fn new(name: impl Into<String>) -> Self {
        Info {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<ParamValue>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Looks a parameter up by key.
    pub fn get(&self, key: &str) -> Option<&ParamValue> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}
