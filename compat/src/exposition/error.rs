//! The one error type of the exposition parsers.

/// What kind of rule a body broke; a scrape manager counts failures per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Not the grammar of the format (bad token, missing `# EOF`, bad float, bad escape, ...).
    Syntax,
    /// A [`super::Limits`] bound was exceeded.
    Limit,
    /// Well-formed but invalid: duplicate label names, a reserved or empty name, or (with
    /// [`super::Validation::OpenMetricsSpec`]) a rule of the OpenMetrics data model.
    Invalid,
}

impl ErrorKind {
    /// A short label value for per-reason counters.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Limit => "limit",
            ErrorKind::Invalid => "invalid",
        }
    }
}

/// Why a body was rejected, with the (1-based) line where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub kind: ErrorKind,
    pub message: String,
}

impl ParseError {
    /// An error at byte offset `pos` of `body`; the line is counted here, on the error path
    /// only, so that parsing does not have to track it.
    pub(crate) fn at(body: &[u8], pos: usize, kind: ErrorKind, message: impl Into<String>) -> Self {
        let end = pos.min(body.len());
        let line = 1 + body[..end].iter().filter(|&&c| c == b'\n').count();
        ParseError {
            line,
            kind,
            message: message.into(),
        }
    }
}
