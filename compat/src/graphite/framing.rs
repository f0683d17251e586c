//! Cutting a byte stream into lines without unbounded buffering.

/// Splits a stream into `\n`-terminated lines of at most `max_line_bytes` bytes (newline
/// excluded). A longer line is dropped whole and counted, and its bytes are never held: the
/// framer keeps at most one partial line below the limit between reads.
#[derive(Debug)]
pub struct LineFramer {
    max: usize,
    partial: Vec<u8>,
    /// Inside a line already known to be too long: skip to its newline.
    discarding: bool,
}

impl LineFramer {
    pub fn new(max_line_bytes: usize) -> Self {
        LineFramer {
            max: max_line_bytes,
            partial: Vec::new(),
            discarding: false,
        }
    }

    /// Appends each complete line of `data` (together with what earlier calls left over) to
    /// `out`, every one followed by `\n`. Returns how many lines were dropped as too long.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> usize {
        let mut dropped = 0;
        while !data.is_empty() {
            let nl = data.iter().position(|&b| b == b'\n');
            let seg = &data[..nl.unwrap_or(data.len())];
            data = match nl {
                Some(i) => &data[i + 1..],
                None => &[],
            };
            if self.discarding {
                self.discarding = nl.is_none();
                continue;
            }
            if self.partial.len() + seg.len() > self.max {
                dropped += 1;
                self.partial.clear();
                self.discarding = nl.is_none();
                continue;
            }
            if nl.is_none() {
                self.partial.extend_from_slice(seg);
                continue;
            }
            if !self.partial.is_empty() {
                out.append(&mut self.partial);
            }
            out.extend_from_slice(seg);
            out.push(b'\n');
        }
        dropped
    }

    /// End of the stream (or of a datagram): an unterminated last line counts as a line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.discarding = false;
        if !self.partial.is_empty() {
            out.append(&mut self.partial);
            out.push(b'\n');
        }
    }

    /// Bytes of the partial line held between calls.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }
}
