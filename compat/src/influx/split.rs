//! Cutting a body into lines. A newline ends a line unless it is escaped or inside a string
//! field value, as in InfluxDB 1.x's `scanLine`.

/// Lines of a body with the 1-based number of the body line each starts on.
#[derive(Debug)]
pub struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Lines {
            buf,
            pos: 0,
            line: 1,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    /// `(line number, bytes without the trailing newline)`.
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.buf[start..];
        let next_nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let first = &rest[..next_nl];
        // Quotes and backslashes are what can carry a line past its first newline; without
        // them (the common case) the line ends there.
        let end = if first.contains(&b'"') || first.contains(&b'\\') {
            scan_line(self.buf, start)
        } else {
            start + next_nl
        };
        let block = &self.buf[start..end];
        let number = self.line;
        // Newlines inside a quoted value still count as body lines for the next line number.
        self.line += 1 + if end == start + next_nl {
            0
        } else {
            memchr_count(block)
        };
        self.pos = end + 1;
        Some((number, block))
    }
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// End (exclusive, at the `\n` or the buffer's end) of the line starting at `i`.
fn scan_line(buf: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    let mut in_fields = false;
    let (mut equals, mut commas) = (0usize, 0usize);
    while i < buf.len() {
        let b = buf[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == b' ' {
            in_fields = true;
        }
        if in_fields {
            if !quoted && b == b'=' {
                equals += 1;
            } else if !quoted && b == b',' {
                commas += 1;
            } else if b == b'"' && equals > commas {
                quoted = !quoted;
            }
        }
        if b == b'\n' && !quoted {
            return i;
        }
        i += 1;
    }
    buf.len()
}
