//! Command-line flags shared by `run` and `ingest`: `--key value` or `--key=value`.

/// The flag at `argv[*i]` and its value, moving `i` past both.
pub fn take_flag(argv: &[String], i: &mut usize) -> Result<(String, String), String> {
    let (key, inline) = match argv[*i].split_once('=') {
        Some((k, v)) if k.starts_with("--") => (k.to_owned(), Some(v.to_owned())),
        _ => (argv[*i].clone(), None),
    };
    let value = match inline {
        Some(v) => v,
        None => {
            *i += 1;
            argv.get(*i)
                .cloned()
                .ok_or_else(|| format!("{key} needs a value"))?
        }
    };
    *i += 1;
    Ok((key, value))
}

/// A non-negative whole number given to flag `key`.
pub fn number(key: &str, v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .map_err(|_| format!("{key}: bad number {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_a_missing_value() {
        let argv: Vec<String> = ["--a", "1", "--b=2", "--c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut i = 0;
        assert_eq!(
            take_flag(&argv, &mut i).unwrap(),
            ("--a".into(), "1".into())
        );
        assert_eq!(
            take_flag(&argv, &mut i).unwrap(),
            ("--b".into(), "2".into())
        );
        assert_eq!(take_flag(&argv, &mut i), Err("--c needs a value".into()));
        assert_eq!(number("--n", "x"), Err("--n: bad number \"x\"".into()));
        assert_eq!(number("--n", "42"), Ok(42));
    }
}
