//! Splits template text into text runs and the tokens inside `{{ }}` actions, as Go's
//! text/template lexer does (trim markers, comments, quoted and raw strings, numbers).

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    Ident(String),
    /// `.Name` (without the dot).
    Field(String),
    /// `$` or `$name` (with the dollar).
    Var(String),
    Dot,
    Str(String),
    CharConst(i64),
    /// A printable ASCII character that is not part of the syntax (the parser rejects it).
    Char(char),
    Number(String),
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
    Eof,
}

/// A lexing error: message and the byte offset it refers to.
#[derive(Debug, Clone)]
pub(crate) struct LexError {
    pub msg: String,
    pub pos: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut trim_next_text = false;
    while i < b.len() {
        let start = i;
        let open = src[i..].find("{{").map(|o| i + o);
        let text_end = open.unwrap_or(b.len());
        let mut text = &src[i..text_end];
        if trim_next_text {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let Some(open) = open else {
            if !text.is_empty() {
                toks.push(Token {
                    kind: Tok::Text(text.to_string()),
                    pos: start,
                });
            }
            break;
        };
        let left_trim = b.len() > open + 3 && b[open + 2] == b'-' && is_space(b[open + 3]);
        if left_trim {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
        }
        if !text.is_empty() {
            toks.push(Token {
                kind: Tok::Text(text.to_string()),
                pos: start,
            });
        }
        i = open + 2;
        if left_trim {
            i += 2;
        }
        // A comment fills the whole action and starts right after the delimiter (and marker).
        if src[i..].starts_with("/*") {
            let j = i;
            let Some(end) = src[j + 2..].find("*/").map(|e| j + 2 + e + 2) else {
                return Err(LexError {
                    msg: "unclosed comment".into(),
                    pos: j,
                });
            };
            let rest = &src[end..];
            let (trim, skip) = if rest.starts_with(" -}}") {
                (true, 4)
            } else if rest.starts_with("}}") {
                (false, 2)
            } else {
                return Err(LexError {
                    msg: "comment ends before closing delimiter".into(),
                    pos: end,
                });
            };
            trim_next_text = trim;
            i = end + skip;
            continue;
        }
        toks.push(Token {
            kind: Tok::LeftDelim,
            pos: open,
        });
        (i, trim_next_text) = lex_action(src, i, &mut toks)?;
    }
    toks.push(Token {
        kind: Tok::Eof,
        pos: b.len(),
    });
    Ok(toks)
}

/// Lexes one action from `i` (just after `{{` and any trim marker) to just after `}}`; the flag
/// says whether the action ended with a right trim marker.
fn lex_action(src: &str, mut i: usize, toks: &mut Vec<Token>) -> Result<(usize, bool), LexError> {
    let b = src.as_bytes();
    let mut parens = 0i32;
    loop {
        if i >= b.len() {
            return Err(LexError {
                msg: "unclosed action".into(),
                pos: i,
            });
        }
        let rest = &src[i..];
        if rest.starts_with("}}") || (is_space(b[i]) && rest[1..].starts_with("-}}")) {
            let trim = !rest.starts_with("}}");
            if trim {
                toks.push(Token {
                    kind: Tok::Space,
                    pos: i,
                });
            }
            if parens > 0 {
                return Err(LexError {
                    msg: "unclosed left paren".into(),
                    pos: i,
                });
            }
            let close = if trim { i + 2 } else { i };
            toks.push(Token {
                kind: Tok::RightDelim,
                pos: close,
            });
            return Ok((close + 2, trim));
        }
        let c = rest.chars().next().unwrap_or(' ');
        let start = i;
        let push = |toks: &mut Vec<Token>, kind| toks.push(Token { kind, pos: start });
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                let n = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
                // A space before a right trim marker belongs to the marker.
                let spaces_end = i + n;
                if src[spaces_end..].starts_with("-}}") && n > 0 {
                    i = spaces_end - 1;
                    if n > 1 {
                        push(toks, Tok::Space);
                    }
                    continue;
                }
                push(toks, Tok::Space);
                i = spaces_end;
            }
            '=' => {
                push(toks, Tok::Assign);
                i += 1;
            }
            ':' => {
                if !rest.starts_with(":=") {
                    return Err(LexError {
                        msg: "expected :=".into(),
                        pos: i,
                    });
                }
                push(toks, Tok::Declare);
                i += 2;
            }
            '|' => {
                push(toks, Tok::Pipe);
                i += 1;
            }
            ',' => {
                push(toks, Tok::Comma);
                i += 1;
            }
            '(' => {
                parens += 1;
                push(toks, Tok::LParen);
                i += 1;
            }
            ')' => {
                // An unmatched one is the parser's to report, as Go's parser does.
                parens = (parens - 1).max(0);
                push(toks, Tok::RParen);
                i += 1;
            }
            '"' => {
                let (s, n) = lex_quoted(rest, i)?;
                push(toks, Tok::Str(s));
                i += n;
            }
            '`' => {
                let Some(end) = rest[1..].find('`') else {
                    return Err(LexError {
                        msg: "unterminated raw quoted string".into(),
                        pos: i,
                    });
                };
                push(toks, Tok::Str(rest[1..1 + end].to_string()));
                i += end + 2;
            }
            '\'' => {
                let (s, n) = lex_char(rest, i)?;
                push(toks, Tok::CharConst(s));
                i += n;
            }
            '$' => {
                let n = 1 + rest[1..]
                    .chars()
                    .take_while(|&c| is_alnum(c))
                    .map(char::len_utf8)
                    .sum::<usize>();
                push(toks, Tok::Var(rest[..n].to_string()));
                i += n;
            }
            '.' if rest[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                let n = lex_number(rest, i)?;
                push(toks, Tok::Number(rest[..n].to_string()));
                i += n;
            }
            '.' => {
                let n = rest[1..]
                    .chars()
                    .take_while(|&c| is_alnum(c))
                    .map(char::len_utf8)
                    .sum::<usize>();
                if n == 0 {
                    push(toks, Tok::Dot);
                } else {
                    push(toks, Tok::Field(rest[1..1 + n].to_string()));
                }
                i += 1 + n;
            }
            '+' | '-' | '0'..='9' => {
                let n = lex_number(rest, i)?;
                push(toks, Tok::Number(rest[..n].to_string()));
                i += n;
            }
            c if is_alnum(c) => {
                let n = rest
                    .chars()
                    .take_while(|&c| is_alnum(c))
                    .map(char::len_utf8)
                    .sum::<usize>();
                push(toks, Tok::Ident(rest[..n].to_string()));
                i += n;
            }
            c if c.is_ascii_graphic() => {
                push(toks, Tok::Char(c));
                i += 1;
            }
            c => {
                return Err(LexError {
                    msg: format!("unrecognized character in action: U+{:04X} '{c}'", c as u32),
                    pos: i,
                });
            }
        }
    }
}

fn lex_number(rest: &str, pos: usize) -> Result<usize, LexError> {
    let b = rest.as_bytes();
    let mut n = 0;
    if n < b.len() && (b[n] == b'+' || b[n] == b'-') {
        n += 1;
    }
    let mut digits = "0123456789_";
    if rest[n..].starts_with("0x") || rest[n..].starts_with("0X") {
        n += 2;
        digits = "0123456789abcdefABCDEF_";
    } else if rest[n..].starts_with("0o") || rest[n..].starts_with("0b") {
        n += 2;
    }
    let exp: &[u8] = if digits.len() > 11 { b"pP" } else { b"eE" };
    while n < b.len() && digits.as_bytes().contains(&b[n]) {
        n += 1;
    }
    if n < b.len() && b[n] == b'.' {
        n += 1;
        while n < b.len() && digits.as_bytes().contains(&b[n]) {
            n += 1;
        }
    }
    if n < b.len() && exp.contains(&b[n]) {
        n += 1;
        if n < b.len() && (b[n] == b'+' || b[n] == b'-') {
            n += 1;
        }
        while n < b.len() && b[n].is_ascii_digit() {
            n += 1;
        }
    }
    let bad = rest[n..].starts_with(|c: char| is_alnum(c) || c == '.');
    if bad || n == 0 || (n == 1 && (b[0] == b'+' || b[0] == b'-')) {
        let end = n + rest[n..]
            .chars()
            .take_while(|&c| is_alnum(c) || c == '.')
            .map(char::len_utf8)
            .sum::<usize>();
        return Err(LexError {
            msg: format!("bad number syntax: {:?}", &rest[..end.max(1)]),
            pos,
        });
    }
    Ok(n)
}

/// A double-quoted Go string: returns the unescaped text and the bytes consumed.
fn lex_quoted(rest: &str, pos: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut it = rest.char_indices().skip(1);
    while let Some((j, c)) = it.next() {
        match c {
            '"' => return Ok((out, j + 1)),
            '\n' => break,
            '\\' => {
                let Some((k, e)) = it.next() else { break };
                let esc = unescape(e, &rest[k + e.len_utf8()..], '"').ok_or_else(|| LexError {
                    msg: "invalid syntax".into(),
                    pos,
                })?;
                out.push_str(&esc.0);
                for _ in 0..esc.1 {
                    it.next();
                }
            }
            c => out.push(c),
        }
    }
    Err(LexError {
        msg: "unterminated quoted string".into(),
        pos,
    })
}

fn lex_char(rest: &str, pos: usize) -> Result<(i64, usize), LexError> {
    let mut it = rest.char_indices().skip(1);
    let err = || LexError {
        msg: "unterminated character constant".into(),
        pos,
    };
    let (j, c) = it.next().ok_or_else(err)?;
    let (val, used) = if c == '\\' {
        let (k, e) = it.next().ok_or_else(err)?;
        let (s, extra) = unescape(e, &rest[k + e.len_utf8()..], '\'').ok_or_else(err)?;
        (
            s.chars().next().map(|c| c as i64).unwrap_or(0),
            k + e.len_utf8() + extra,
        )
    } else {
        (c as i64, j + c.len_utf8())
    };
    if rest[used..].starts_with('\'') {
        return Ok((val, used + 1));
    }
    match rest[1..].find('\'') {
        Some(end) => Err(LexError {
            msg: format!("malformed character constant: {}", &rest[..end + 2]),
            pos,
        }),
        None => Err(err()),
    }
}

/// Go escape after a backslash: the text it stands for and how many more characters it used.
fn unescape(e: char, after: &str, quote: char) -> Option<(String, usize)> {
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        c if c == quote => Some(c),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c.to_string(), 0));
    }
    let hex = |n: usize| -> Option<u32> {
        let h = after.get(..n)?;
        u32::from_str_radix(h, 16).ok()
    };
    match e {
        'x' => {
            let v = hex(2)?;
            // A byte escape: non-ASCII bytes cannot form valid UTF-8 alone; keep them as U+FFFD.
            Some((
                char::from_u32(v)
                    .filter(|_| v < 0x80)
                    .unwrap_or('\u{fffd}')
                    .to_string(),
                2,
            ))
        }
        'u' => Some((char::from_u32(hex(4)?)?.to_string(), 4)),
        'U' => Some((char::from_u32(hex(8)?)?.to_string(), 8)),
        '0'..='7' => {
            let o = after.get(..2)?;
            let v = u32::from_str_radix(&format!("{e}{o}"), 8).ok()?;
            Some((
                char::from_u32(v)
                    .filter(|_| v < 0x80)
                    .unwrap_or('\u{fffd}')
                    .to_string(),
                2,
            ))
        }
        _ => None,
    }
}
