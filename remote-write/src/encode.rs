//! Encoding write requests (protobuf, then snappy), for the load generator, tests and benches, plus
//! building 2.0 requests with a symbol table.

use std::collections::HashMap;

use prost::Message;

use crate::error::Result;
use crate::snappy;
use crate::{v1, v2};

/// Encodes a 1.0 request as a request body: protobuf, then snappy block.
///
/// Fails only if the protobuf reaches snappy's 4 GiB block limit.
pub fn encode_write_v1(req: &v1::WriteRequest) -> Result<Vec<u8>> {
    snappy::compress(&req.encode_to_vec())
}

/// Encodes a 2.0 request as a request body: protobuf, then snappy block.
///
/// Fails only if the protobuf reaches snappy's 4 GiB block limit.
pub fn encode_write_v2(req: &v2::Request) -> Result<Vec<u8>> {
    snappy::compress(&req.encode_to_vec())
}

/// Interns strings for a 2.0 request. Index 0 is always `""`, as the spec requires.
#[derive(Debug, Clone)]
pub struct SymbolTable {
    symbols: Vec<String>,
    index: HashMap<String, u32>,
}

impl Default for SymbolTable {
    fn default() -> Self {
        Self::new()
    }
}

impl SymbolTable {
    /// A table holding only `""` at index 0.
    pub fn new() -> Self {
        Self {
            symbols: vec![String::new()],
            index: HashMap::from([(String::new(), 0)]),
        }
    }

    /// The index of `s`, adding it if new.
    ///
    /// # Panics
    /// If the table would exceed `u32::MAX` entries, which no encodable request can hold.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.symbols.len()).expect("more than u32::MAX symbols");
        self.symbols.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    /// `labels_refs` for a label set given as `(name, value)` pairs (sort them by name first).
    pub fn label_refs<'a>(
        &mut self,
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<u32> {
        labels
            .into_iter()
            .flat_map(|(n, v)| [self.intern(n), self.intern(v)])
            .collect()
    }

    /// The symbols so far, in index order.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Consumes the table, returning `Request::symbols`.
    pub fn into_symbols(self) -> Vec<String> {
        self.symbols
    }
}

/// Converts a 1.0 request into the equivalent 2.0 request: same series, labels, samples and
/// histograms; 1.0 exemplars become 2.0 exemplars; each family's 1.0 metadata is attached to the
/// series whose `__name__` equals the family name.
pub fn v2_from_v1(req: &v1::WriteRequest) -> v2::Request {
    let mut symbols = SymbolTable::new();
    let family_metadata: HashMap<&str, &v1::MetricMetadata> = req
        .metadata
        .iter()
        .map(|m| (m.metric_family_name.as_str(), m))
        .collect();
    let timeseries = req
        .timeseries
        .iter()
        .map(|ts| {
            let labels_refs = symbols.label_refs(
                ts.labels
                    .iter()
                    .map(|l| (l.name.as_str(), l.value.as_str())),
            );
            let name = ts
                .labels
                .iter()
                .find(|l| l.name == crate::METRIC_NAME_LABEL);
            let metadata = name
                .and_then(|n| family_metadata.get(n.value.as_str()))
                .map(|m| v2::Metadata {
                    r#type: m.r#type,
                    help_ref: symbols.intern(&m.help),
                    unit_ref: symbols.intern(&m.unit),
                });
            let exemplars = ts
                .exemplars
                .iter()
                .map(|e| v2::Exemplar {
                    labels_refs: symbols
                        .label_refs(e.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
                    value: e.value,
                    timestamp: e.timestamp,
                })
                .collect();
            v2::TimeSeries {
                labels_refs,
                samples: ts.samples.clone(),
                histograms: ts.histograms.clone(),
                exemplars,
                metadata,
                created_timestamp: 0,
            }
        })
        .collect();
    v2::Request {
        symbols: symbols.into_symbols(),
        timeseries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_table_starts_empty_and_dedupes() {
        let mut t = SymbolTable::new();
        assert_eq!(t.intern(""), 0);
        let refs = t.label_refs([("__name__", "up"), ("job", "up")]);
        assert_eq!(refs, [1, 2, 3, 2]);
        assert_eq!(t.symbols(), ["", "__name__", "up", "job"]);
        assert_eq!(t.into_symbols().len(), 4);
    }

    #[test]
    fn v2_from_v1_carries_metadata_and_exemplars() {
        let req = v1::WriteRequest {
            timeseries: vec![v1::TimeSeries {
                labels: vec![v1::Label::new("__name__", "reqs_total")],
                samples: vec![v1::Sample {
                    value: 3.0,
                    timestamp: 10,
                }],
                exemplars: vec![v1::Exemplar {
                    labels: vec![v1::Label::new("trace_id", "abc")],
                    value: 1.0,
                    timestamp: 9,
                }],
                histograms: vec![],
            }],
            metadata: vec![v1::MetricMetadata {
                r#type: 1,
                metric_family_name: "reqs_total".into(),
                help: "Requests.".into(),
                unit: String::new(),
            }],
        };
        let v2 = v2_from_v1(&req);
        let sym = |i: u32| v2.symbols[i as usize].as_str();
        let ts = &v2.timeseries[0];
        assert_eq!(
            (sym(ts.labels_refs[0]), sym(ts.labels_refs[1])),
            ("__name__", "reqs_total")
        );
        let m = ts.metadata.unwrap();
        assert_eq!(
            (m.r#type, sym(m.help_ref), sym(m.unit_ref)),
            (1, "Requests.", "")
        );
        let e = &ts.exemplars[0];
        assert_eq!(
            (sym(e.labels_refs[0]), sym(e.labels_refs[1]), e.timestamp),
            ("trace_id", "abc", 9)
        );
        assert_eq!(ts.samples, req.timeseries[0].samples);
    }
}
