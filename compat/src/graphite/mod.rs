//! Graphite plaintext: `path value [timestamp]` lines, tagged series (`path;tag=value;...`) and
//! path templates that turn path components into labels.
//!
//! Three pure pieces, used in this order by a listener:
//! - [`LineFramer`] cuts a byte stream (or a datagram) into lines, dropping those over the
//!   length limit without ever buffering more than the limit;
//! - [`parse_line`] checks one line the way carbon does and borrows its parts;
//! - [`Mapping`] optionally rewrites a path into a metric name and labels.
//!
//! What is accepted follows carbon's plaintext receiver (`line.split()` into exactly three
//! whitespace-separated fields, Python `float()` for the value and the timestamp, NaN values
//! dropped, `-1` meaning "now") and carbon's tag rules, with three additions: a missing
//! timestamp and `N` (collectd/rrdtool's "now") also mean now, and tag names starting with
//! `__` are refused because Prometheus reserves them.

mod framing;
mod line;
mod mapping;

pub use framing::LineFramer;
pub use line::{
    DEFAULT_MAX_LINE_BYTES, Line, LineError, LineErrorKind, REASONS, TagIter, Timestamp, parse_line,
};
pub use mapping::{Mapped, Mapping, MappingError};
