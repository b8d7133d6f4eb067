//! The one reader of OR-Library's whitespace-separated number files (GAP, capacitated
//! warehouse location, p-median): tokens with their line numbers, and errors that name
//! the source, line, token number and the field expected. Never panics.

use crate::{Error, Location, Result};

/// Tokens with their 1-based line numbers, read lazily.
pub(crate) struct Tokens<'a> {
    source: &'static str,
    lines: std::str::Lines<'a>,
    words: std::str::SplitWhitespace<'a>,
    line: usize,
    peeked: Option<(usize, &'a str)>,
    /// Tokens read so far.
    read: usize,
    /// The line of the last token read (or of the last line, at the end).
    last_line: usize,
}

impl<'a> Tokens<'a> {
    /// Reads `text`; `source` names it in errors.
    pub(crate) fn new(source: &'static str, text: &'a str) -> Self {
        Tokens {
            source,
            lines: text.lines(),
            words: "".split_whitespace(),
            line: 0,
            peeked: None,
            read: 0,
            last_line: 0,
        }
    }

    /// The next token and its line, without consuming it.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while self.peeked.is_none() {
            match self.words.next() {
                Some(w) => self.peeked = Some((self.line, w)),
                None => {
                    self.words = self.lines.next()?.split_whitespace();
                    self.line += 1;
                }
            }
        }
        self.peeked
    }

    /// The line of the next token (of the last line at the end of input).
    pub(crate) fn peek_line(&mut self) -> usize {
        self.peek().map_or(self.line, |t| t.0)
    }

    /// An error at `line` (the last token read if `None`) about `field`.
    pub(crate) fn error(&self, line: Option<usize>, field: &str, message: String) -> Error {
        let line = line.or((self.last_line > 0).then_some(self.last_line));
        Error::invalid(
            Location {
                source: self.source.to_string(),
                line: line.map(|l| l as u64),
                record: (self.read > 0).then(|| format!("token {}", self.read)),
                field: (!field.is_empty()).then(|| field.to_string()),
            },
            message,
        )
    }

    /// Next raw token, or an error naming the field expected at end of input.
    pub(crate) fn next(&mut self, field: &str) -> Result<(usize, &'a str)> {
        match self.peek() {
            Some(t) => {
                self.peeked = None;
                self.read += 1;
                self.last_line = t.0;
                Ok(t)
            }
            None => Err(self.error(
                Some(self.line),
                field,
                format!("expected {field}, found end of input"),
            )),
        }
    }

    /// Next token as a finite number (`7500.` style accepted).
    pub(crate) fn number(&mut self, field: &str) -> Result<f64> {
        let (line, t) = self.next(field)?;
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(Some(line), field, format!("expected a number, got '{t}'"))),
        }
    }

    /// Next token as a non-negative integer count.
    pub(crate) fn count(&mut self, field: &str) -> Result<usize> {
        let (line, t) = self.next(field)?;
        t.parse::<usize>().map_err(|_| {
            self.error(
                Some(line),
                field,
                format!("expected a non-negative integer, got '{t}'"),
            )
        })
    }

    /// Next token as an integer.
    pub(crate) fn integer(&mut self, field: &str) -> Result<i64> {
        let (line, t) = self.next(field)?;
        t.parse::<i64>().map_err(|_| {
            self.error(
                Some(line),
                field,
                format!("expected an integer {field}, found '{t}'"),
            )
        })
    }

    /// Next token as a size in `1..=max`.
    pub(crate) fn size(&mut self, field: &str, max: i64) -> Result<usize> {
        let v = self.integer(field)?;
        if !(1..=max).contains(&v) {
            return Err(self.error(
                None,
                field,
                format!("{field} must be in 1..={max}, got {v}"),
            ));
        }
        Ok(v as usize)
    }

    /// An error unless every token has been read.
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some((line, t)) => {
                self.peeked = None;
                self.read += 1;
                Err(self.error(Some(line), "", format!("unexpected trailing token '{t}'")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tokens;

    #[test]
    fn errors_name_the_line_token_and_field() {
        let mut t = Tokens::new("test", "1 2\n x");
        assert_eq!(t.count("a").ok(), Some(1));
        assert_eq!(t.integer("b").ok(), Some(2));
        let e = t
            .number("c")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("'x'") && e.contains("token 3") && e.contains('2'),
            "{e}"
        );
        let e = t.next("d").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("expected d, found end of input"), "{e}");
        let mut t = Tokens::new("test", "0 5 9");
        assert!(t.size("n", 3).is_err());
        assert!(t.size("n", 9).is_ok());
        assert!(t.end().is_err());
    }
}
