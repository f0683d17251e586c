//! Where things are in a rule file: line and column of mappings, keys and values.
//!
//! serde_yaml_ng gives values but not their positions, and Prometheus's messages name the
//! position of the node at fault (`5:15: group "g", rule 1, ...`), as yaml.v3 reports it:
//! 1-based line and column in characters, a mapping at its first key, a scalar at its first
//! character (the quote or the `|` of a block scalar). This scanner reads the block-style
//! structure rule files are written in and mirrors it as a tree that the decoder walks beside
//! the parsed values: block mappings and sequences, flow collections (`{record: a, expr: up}`),
//! plain, quoted, folded and literal scalars over several lines, comments and a leading `---`.
//! It only locates; the values themselves always come from serde_yaml_ng. Where it meets
//! syntax it does not follow (odd indentation, nodes behind tags or anchors, keys that only
//! exist after a `<<` merge) it gives up on that part, and those messages then say 0:0, as
//! Prometheus's do for a node that is absent.

/// A 1-based line and column; 0:0 for a node that is absent (yaml.v3's zero node).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// The shape of a YAML node with the positions the messages need.
#[derive(Debug, Clone)]
pub enum Node {
    Map { pos: Pos, entries: Vec<Entry> },
    Seq { pos: Pos, items: Vec<Node> },
    Scalar { pos: Pos },
}

/// One `key: value` of a block mapping.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Map { pos, .. } | Node::Seq { pos, .. } | Node::Scalar { pos } => *pos,
        }
    }

    /// The entry for `key` when this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The `i`th item when this is a sequence.
    pub fn item(&self, i: usize) -> Option<&Node> {
        match self {
            Node::Seq { items, .. } => items.get(i),
            _ => None,
        }
    }
}

/// Scans the first document of `text`; `None` when it holds no node or a shape we do not follow.
pub fn scan(text: &str) -> Option<Node> {
    let lines: Vec<&str> = text.lines().collect();
    let mut s = Scanner { lines, line: 0 };
    s.skip_blank();
    // A leading document marker; the node may follow on the same line or below.
    if s.line < s.lines.len() && is_doc_marker(s.lines[s.line]) {
        let rest = s.lines[s.line][3..].trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            s.line += 1;
            s.skip_blank();
        } else {
            return None;
        }
    }
    if s.line >= s.lines.len() {
        return None;
    }
    let col = indent(s.lines[s.line]);
    s.node_at(col, 0)
}

fn is_doc_marker(l: &str) -> bool {
    l == "---" || l.starts_with("--- ") || l.starts_with("---\t")
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// A line that holds nothing: blank or only a comment.
fn is_blank(l: &str) -> bool {
    let t = l.trim_start();
    t.is_empty() || t.starts_with('#')
}

struct Scanner<'a> {
    lines: Vec<&'a str>,
    /// The current line (0-based).
    line: usize,
}

impl Scanner<'_> {
    fn skip_blank(&mut self) {
        while self.line < self.lines.len() && is_blank(self.lines[self.line]) {
            self.line += 1;
        }
    }

    fn pos(&self, byte: usize) -> Pos {
        let l = self.lines[self.line];
        Pos {
            line: self.line + 1,
            col: l[..byte.min(l.len())].chars().count() + 1,
        }
    }

    /// The current line's indentation, or `None` at the end or at a document marker.
    fn next_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        let l = self.lines.get(self.line)?;
        if is_doc_marker(l) || *l == "..." {
            return None;
        }
        Some(indent(l))
    }

    /// The node starting at byte `at` of the current line, inside a parent indented `parent`.
    fn node_at(&mut self, at: usize, parent: usize) -> Option<Node> {
        let l = self.lines[self.line];
        let rest = &l[at..];
        if rest == "-" || rest.starts_with("- ") {
            return self.seq(at);
        }
        if key_end(rest).is_some() {
            return self.map(at);
        }
        Some(self.scalar_or_flow(at, parent))
    }

    /// The scalar or flow collection at byte `at` of the current line; moves past it.
    fn scalar_or_flow(&mut self, at: usize, parent: usize) -> Node {
        let text = &self.lines[self.line][at..];
        if text.starts_with(['{', '[']) {
            let mut f = Flow {
                lines: &self.lines,
                line: self.line,
                byte: at,
            };
            if let Some(node) = f.node() {
                // Whatever follows the collection on its last line can only be a comment.
                self.line = f.line + 1;
                return node;
            }
        }
        let pos = self.pos(at);
        self.skip_scalar(text, parent);
        Node::Scalar { pos }
    }

    /// A block sequence whose dashes are at byte column `col`.
    fn seq(&mut self, col: usize) -> Option<Node> {
        let pos = self.pos(col);
        let mut items = Vec::new();
        loop {
            let l = self.lines[self.line];
            let rest = &l[col + 1..];
            let content = rest.len() - rest.trim_start_matches(' ').len();
            let after = &rest[content..];
            if after.is_empty() || after.starts_with('#') {
                let empty = Node::Scalar {
                    pos: self.pos(col + 1),
                };
                self.line += 1;
                match self.next_indent() {
                    Some(i) if i > col => items.push(self.node_at(i, col)?),
                    _ => items.push(empty),
                }
            } else {
                items.push(self.node_at(col + 1 + content, col)?);
            }
            match self.next_indent() {
                Some(i) if i == col && is_dash(&self.lines[self.line][i..]) => {}
                Some(i) if i > col => return None,
                _ => break,
            }
        }
        Some(Node::Seq { pos, items })
    }

    /// A block mapping whose keys are at byte column `col`.
    fn map(&mut self, col: usize) -> Option<Node> {
        let pos = self.pos(col);
        let mut entries = Vec::new();
        loop {
            let l = self.lines[self.line];
            let rest = &l[col..];
            let (key, colon) = key_end(rest)?;
            let key_pos = self.pos(col);
            let after_colon = col + colon + 1;
            let tail = &l[after_colon..];
            let gap = tail.len() - tail.trim_start_matches(' ').len();
            let value_at = after_colon + gap;
            let value_text = &l[value_at..];
            let value = if value_text.is_empty() || value_text.starts_with('#') {
                // The value is on the following lines, or empty.
                let empty = Node::Scalar {
                    pos: self.pos(value_at),
                };
                self.line += 1;
                match self.next_indent() {
                    Some(i) if i > col => self.node_at(i, col)?,
                    // YAML lets a sequence under a key sit at the key's own indentation.
                    Some(i) if i == col && is_dash(&self.lines[self.line][i..]) => self.seq(i)?,
                    _ => empty,
                }
            } else if value_text == "-" || value_text.starts_with("- ") {
                // `key: - x` is not YAML; serde_yaml_ng reports it.
                return None;
            } else {
                self.scalar_or_flow(value_at, col)
            };
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
            match self.next_indent() {
                Some(i) if i == col && !is_dash(&self.lines[self.line][i..]) => {}
                Some(i) if i > col => return None,
                _ => break,
            }
        }
        Some(Node::Map { pos, entries })
    }

    /// Moves past a scalar or flow collection starting with `text` on the current line,
    /// including its continuation lines (indented deeper than `parent`).
    fn skip_scalar(&mut self, text: &str, parent: usize) {
        if text.starts_with(['[', '{', '"', '\'']) {
            // Flow collections and quoted scalars end where their brackets and quotes close.
            let mut open = Open::default();
            open.feed(text);
            self.line += 1;
            while !open.closed() && self.line < self.lines.len() {
                open.feed(self.lines[self.line]);
                self.line += 1;
            }
            return;
        }
        let block = text.starts_with(['|', '>']);
        self.line += 1;
        while self.line < self.lines.len() {
            let l = self.lines[self.line];
            if l.trim().is_empty() {
                self.line += 1;
                continue;
            }
            // A comment line ends a plain scalar; inside a block scalar it is text.
            if indent(l) <= parent || (!block && is_blank(l)) {
                break;
            }
            self.line += 1;
        }
    }
}

/// A flow collection (`{record: a, expr: up}`, `[a, b]`), possibly over several lines.
struct Flow<'s, 'a> {
    lines: &'s [&'a str],
    line: usize,
    byte: usize,
}

impl Flow<'_, '_> {
    fn pos(&self) -> Pos {
        let l = self.lines[self.line];
        Pos {
            line: self.line + 1,
            col: l[..self.byte.min(l.len())].chars().count() + 1,
        }
    }

    fn peek(&self) -> Option<char> {
        self.lines.get(self.line)?[self.byte..].chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.byte += c.len_utf8();
        }
    }

    /// Skips spaces, line ends and comments.
    fn skip_ws(&mut self) {
        while let Some(l) = self.lines.get(self.line) {
            let rest = &l[self.byte..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if trimmed.is_empty() || trimmed.starts_with('#') {
                self.line += 1;
                self.byte = 0;
                continue;
            }
            self.byte += rest.len() - trimmed.len();
            return;
        }
    }

    fn node(&mut self) -> Option<Node> {
        self.skip_ws();
        let pos = self.pos();
        match self.peek()? {
            '{' => {
                self.bump();
                let mut entries = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek()? == '}' {
                        self.bump();
                        return Some(Node::Map { pos, entries });
                    }
                    let key_pos = self.pos();
                    let key = self.scalar_text()?;
                    self.skip_ws();
                    let value = if self.peek()? == ':' {
                        self.bump();
                        self.skip_ws();
                        self.node()?
                    } else {
                        Node::Scalar { pos: self.pos() }
                    };
                    entries.push(Entry {
                        key,
                        key_pos,
                        value,
                    });
                    self.skip_ws();
                    match self.peek()? {
                        ',' => self.bump(),
                        '}' => {}
                        _ => return None,
                    }
                }
            }
            '[' => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek()? == ']' {
                        self.bump();
                        return Some(Node::Seq { pos, items });
                    }
                    items.push(self.node()?);
                    self.skip_ws();
                    match self.peek()? {
                        ',' => self.bump(),
                        ']' => {}
                        _ => return None,
                    }
                }
            }
            _ => {
                self.scalar_text()?;
                Some(Node::Scalar { pos })
            }
        }
    }

    /// A quoted or plain scalar inside a flow collection; its text for keys.
    fn scalar_text(&mut self) -> Option<String> {
        let q = self.peek()?;
        if q == '"' || q == '\'' {
            self.bump();
            let mut out = String::new();
            loop {
                let Some(c) = self.peek() else {
                    // A quoted scalar may continue on the next line.
                    self.line += 1;
                    self.byte = 0;
                    self.lines.get(self.line)?;
                    out.push(' ');
                    continue;
                };
                self.bump();
                if q == '"' && c == '\\' {
                    let escaped = self.peek()?;
                    self.bump();
                    out.push(escaped);
                } else if q == '\'' && c == '\'' && self.peek() == Some('\'') {
                    self.bump();
                    out.push('\'');
                } else if c == q {
                    return Some(out);
                } else {
                    out.push(c);
                }
            }
        }
        let l = self.lines.get(self.line)?;
        let rest = &l[self.byte..];
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            let next = rest[i + c.len_utf8()..].chars().next();
            let ends = matches!(c, ',' | '}' | ']')
                || (c == ':' && matches!(next, None | Some(' ' | ',' | '}' | ']')))
                || (c == '#' && rest[..i].ends_with(' '));
            if ends {
                end = i;
                break;
            }
        }
        let text = rest[..end].trim_end().to_string();
        self.byte += end;
        (!text.is_empty()).then_some(text)
    }
}

/// Open brackets and quotes of a flow collection or quoted scalar across its lines.
#[derive(Default)]
struct Open {
    depth: i64,
    quote: Option<char>,
}

impl Open {
    fn closed(&self) -> bool {
        self.depth <= 0 && self.quote.is_none()
    }

    fn feed(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match self.quote {
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some('\'') if c == '\'' && chars.peek() == Some(&'\'') => {
                    chars.next();
                }
                Some(q) if c == q => self.quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' => self.quote = Some(c),
                    '[' | '{' => self.depth += 1,
                    ']' | '}' => self.depth -= 1,
                    '#' => break,
                    _ => {}
                },
            }
            if self.closed() {
                return;
            }
        }
    }
}

fn is_dash(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// For a line starting with a mapping key, the key's text and the byte offset of its colon.
fn key_end(rest: &str) -> Option<(String, usize)> {
    if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        // A quoted key; the colon must follow the closing quote.
        let mut prev_backslash = false;
        for (i, c) in rest.char_indices().skip(1) {
            if c == q && !(q == '"' && prev_backslash) {
                let after = &rest[i + 1..];
                let gap = after.len() - after.trim_start_matches(' ').len();
                let colon = i + 1 + gap;
                return value_follows(rest, colon).then(|| (unquote(&rest[1..i], q), colon));
            }
            prev_backslash = c == '\\' && !prev_backslash;
        }
        return None;
    }
    if rest.starts_with(['[', '{', '#', '|', '>', '&', '*', '!', '%', '@', '`']) {
        return None;
    }
    let mut from = 0;
    while let Some(i) = rest[from..].find(':') {
        let colon = from + i;
        if value_follows(rest, colon) {
            let key = rest[..colon].trim_end();
            if key.contains(" #") {
                return None;
            }
            return Some((key.to_string(), colon));
        }
        from = colon + 1;
    }
    None
}

/// Whether the `:` at byte `colon` ends a key: followed by a space or the end of the line.
fn value_follows(rest: &str, colon: usize) -> bool {
    rest.as_bytes().get(colon) == Some(&b':')
        && matches!(
            rest.as_bytes().get(colon + 1),
            None | Some(b' ') | Some(b'\t')
        )
}

/// The text of a quoted key; keys in rule files are plain words, so only the common escapes.
fn unquote(s: &str, q: char) -> String {
    if q == '\'' {
        s.replace("''", "'")
    } else {
        s.replace("\\\"", "\"").replace("\\\\", "\\")
    }
}
