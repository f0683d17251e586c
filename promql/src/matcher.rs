//! Label matchers: `=`, `!=`, `=~`, `!~` with Prometheus's fully anchored regular expressions.

use regex::Regex;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MatcherError {
    #[error("invalid regular expression {pattern:?}: {source}")]
    BadRegex {
        pattern: String,
        #[source]
        source: regex::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// Matches one label's value. A missing label matches as the empty string, as in Prometheus.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub op: MatchOp,
    pub name: String,
    pub value: String,
    re: Option<Regex>,
}

impl Matcher {
    pub fn new(
        op: MatchOp,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        let value = value.into();
        let re = match op {
            MatchOp::Regex | MatchOp::NotRegex => {
                // Prometheus anchors the whole pattern and lets `.` match newlines.
                let anchored = format!("^(?s:{value})$");
                Some(
                    Regex::new(&anchored).map_err(|source| MatcherError::BadRegex {
                        pattern: value.clone(),
                        source,
                    })?,
                )
            }
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Matcher {
            op,
            name: name.into(),
            value,
            re,
        })
    }

    /// Shorthand for an equality matcher, which cannot fail.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            op: MatchOp::Equal,
            name: name.into(),
            value: value.into(),
            re: None,
        }
    }

    pub fn matches(&self, v: &str) -> bool {
        match (self.op, &self.re) {
            (MatchOp::Equal, _) => v == self.value,
            (MatchOp::NotEqual, _) => v != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(v),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(v),
            // Regex ops always carry a compiled regex (see `new`).
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether the empty string matches: such a matcher also selects series without the label.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_and_dot_matches_newline() {
        let m = Matcher::new(MatchOp::Regex, "a", "fo.").unwrap();
        assert!(m.matches("foo"));
        assert!(!m.matches("xfoo"));
        assert!(!m.matches("foox"));
        assert!(
            Matcher::new(MatchOp::Regex, "a", "a.b")
                .unwrap()
                .matches("a\nb")
        );
    }

    #[test]
    fn empty_matching() {
        assert!(
            Matcher::new(MatchOp::NotEqual, "a", "x")
                .unwrap()
                .matches_empty()
        );
        assert!(!Matcher::equal("a", "x").matches_empty());
        assert!(
            Matcher::new(MatchOp::Regex, "a", "x|")
                .unwrap()
                .matches_empty()
        );
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(Matcher::new(MatchOp::Regex, "a", "(").is_err());
    }
}
