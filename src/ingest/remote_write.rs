//! Appends a decoded remote write request.

use crate::appender::{Appender, CommitError, Metadata, SampleError};
use promql::{Label, Labels};
use remote_write::DecodedWrite;

/// What happened to a request's samples.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    pub samples_written: u64,
    pub samples_rejected: u64,
    pub histograms_rejected: u64,
    /// The first few rejections, for the error message.
    pub errors: Vec<String>,
}

const MAX_REPORTED_ERRORS: usize = 5;

impl WriteOutcome {
    fn note(&mut self, pairs: &[(&str, &str)], t: i64, e: &SampleError) {
        self.samples_rejected += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            let labels =
                Labels::from_sorted(pairs.iter().map(|(n, v)| Label::new(*n, *v)).collect());
            self.errors
                .push(format!("{e}: series {labels}, timestamp {t}"));
        }
    }

    /// The message for a 400 answer, when anything was refused.
    pub fn rejection_message(&self) -> Option<String> {
        if self.samples_rejected == 0 && self.histograms_rejected == 0 {
            return None;
        }
        let mut msg = String::new();
        if self.samples_rejected > 0 {
            msg.push_str(&format!(
                "{} of {} samples rejected: {}",
                self.samples_rejected,
                self.samples_rejected + self.samples_written,
                self.errors.join("; ")
            ));
        }
        if self.histograms_rejected > 0 {
            if !msg.is_empty() {
                msg.push_str("; ");
            }
            msg.push_str(&format!(
                "{} native histogram samples rejected: native histograms are not supported yet",
                self.histograms_rejected
            ));
        }
        Some(msg)
    }
}

/// Appends every sample of `req` and commits. Refused samples do not stop the others: the
/// accepted ones are committed and the refusals reported, as remote write 2.0 asks.
pub fn write(mut app: Box<dyn Appender>, req: &DecodedWrite) -> Result<WriteOutcome, CommitError> {
    let mut out = WriteOutcome::default();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for series in req.series() {
        pairs.clear();
        pairs.extend(series.labels());
        for &(t, v) in series.samples() {
            match app.append_pairs(&pairs, t, v) {
                Ok(()) => out.samples_written += 1,
                Err(e) => out.note(&pairs, t, &e),
            }
        }
        out.histograms_rejected += series.histogram_count() as u64;
    }
    for m in req.metadata() {
        app.append_metadata(
            m.family,
            Metadata {
                metric_type: m.metric_type.as_str().to_string(),
                help: m.help.to_string(),
                unit: m.unit.to_string(),
            },
        );
    }
    app.commit()?;
    Ok(out)
}
