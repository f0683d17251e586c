//! Go's regexp (RE2) syntax on top of the regex crate: the two are nearly the same language,
//! but Go's Perl classes (`\d`, `\w`, `\s`, `\b`) are ASCII-only where the crate's are Unicode,
//! and Go words its syntax errors differently.

use std::collections::HashMap;

/// Compiled patterns kept per execution, so a `reReplaceAll` in a `range` compiles once.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    map: HashMap<String, regex::Regex>,
}

/// Most patterns one execution keeps compiled.
const CACHE_SIZE: usize = 64;

impl Cache {
    pub(crate) fn contains(&self, pattern: &str) -> bool {
        self.map.contains_key(pattern)
    }

    /// The compiled pattern, or Go's error text after "error parsing regexp: ".
    pub(crate) fn get(&mut self, pattern: &str) -> Result<regex::Regex, String> {
        if let Some(re) = self.map.get(pattern) {
            return Ok(re.clone());
        }
        let re = regex::Regex::new(&translate(pattern)).map_err(|e| go_message(pattern, &e))?;
        if self.map.len() >= CACHE_SIZE {
            self.map.clear();
        }
        self.map.insert(pattern.to_string(), re.clone());
        Ok(re)
    }
}

/// Rewrites Go's ASCII-only Perl classes and word boundaries into the crate's syntax.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Go's wording for the common syntax errors; the crate's otherwise.
fn go_message(p: &str, e: &regex::Error) -> String {
    let s = e.to_string();
    let last = s
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let last = last.trim_start_matches("error: ");
    if last.contains("unclosed group") {
        format!("missing closing ): `{p}`")
    } else if last.contains("unopened group") {
        format!("unexpected ): `{p}`")
    } else if last.contains("unclosed character class") {
        let from = p.rfind('[').unwrap_or(0);
        format!("missing closing ]: `{}`", &p[from..])
    } else if last.contains("incomplete escape") {
        "trailing backslash at end of expression: ``".to_string()
    } else {
        last.to_string()
    }
}
