//! The reader: turns source text into [`Sexp`]s one top-level form at a time, each with a span.
//!
//! Errors (unbalanced parentheses, bad escapes, stray characters, malformed numbers) are
//! [`SlightError`]s of kind `ReadError` pointing at the offending character.

use crate::error::{Result, SlightError};
use crate::sexp::{Sexp, SexpKind};
use crate::span::{FileId, Span};

/// Deepest nesting the front end accepts: lists and quote prefixes when reading, expressions
/// when expanding and resolving. Deeper input is an error ("nested too deeply") instead of a
/// Rust stack overflow in these passes or in the back ends that recurse on their output.
///
/// The levels are counted per thread across all passes, so passes that re-enter each other (a
/// macro that calls `eval` while it is being expanded) share one budget. The value keeps every
/// pass within a 2 MiB thread stack (the default for spawned threads) in unoptimised builds.
pub const MAX_NESTING: usize = 128;

thread_local! {
    static NESTING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of front-end nesting on this thread, released when dropped.
pub(crate) struct Nest(());

impl Nest {
    /// Takes a level, or `None` when [`MAX_NESTING`] levels are already taken.
    pub(crate) fn enter() -> Option<Nest> {
        NESTING.with(|n| {
            let depth = n.get();
            if depth >= MAX_NESTING {
                return None;
            }
            n.set(depth + 1);
            Some(Nest(()))
        })
    }
}

impl Drop for Nest {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Streaming reader over one source text.
pub struct Reader<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    file: FileId,
}

/// Characters that may appear in a symbol (besides letters and digits).
fn is_symbol_char(c: char) -> bool {
    c.is_alphanumeric() || "_+-*/?!<>=.%:&$^~@".contains(c)
}

impl<'a> Reader<'a> {
    pub fn new(src: &'a str, file: FileId) -> Self {
        Reader { src, pos: 0, line: 1, col: 1, file }
    }

    /// Reads every form of a text (convenience for tests and `expand`).
    pub fn read_all(src: &str, file: FileId) -> Result<Vec<Sexp>> {
        let mut reader = Reader::new(src, file);
        let mut out = Vec::new();
        while let Some(form) = reader.next_form() {
            out.push(form?);
        }
        Ok(out)
    }

    /// The next top-level form, `None` at end of input. After an error the reader skips
    /// to the end of input (the rest of the text cannot be trusted).
    pub fn next_form(&mut self) -> Option<Result<Sexp>> {
        if let Err(e) = self.skip_trivia() {
            self.pos = self.src.len();
            return Some(Err(e));
        }
        if self.pos >= self.src.len() {
            return None;
        }
        let result = self.read();
        if result.is_err() {
            self.pos = self.src.len();
        }
        Some(result)
    }

    /// True when only whitespace and comments remain.
    pub fn at_end(&mut self) -> bool {
        self.skip_trivia().is_ok() && self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn here(&self) -> Span {
        Span { file: self.file, start: self.pos as u32, end: self.pos as u32, line: self.line, col: self.col }
    }

    fn span_from(&self, start: Span) -> Span {
        Span { end: self.pos as u32, ..start }
    }

    fn skip_trivia(&mut self) -> Result<()> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(';') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                Some('#') if self.peek2() == Some('|') => {
                    let start = self.here();
                    self.bump();
                    self.bump();
                    let mut depth = 1;
                    loop {
                        match self.bump() {
                            None => return Err(SlightError::read("unterminated block comment", start)),
                            Some('|') if self.peek() == Some('#') => {
                                self.bump();
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some('#') if self.peek() == Some('|') => {
                                self.bump();
                                depth += 1;
                            }
                            _ => {}
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Reads one datum, one nesting level deeper.
    fn read(&mut self) -> Result<Sexp> {
        let Some(_level) = Nest::enter() else {
            return Err(too_deep(self.here()));
        };
        self.read_datum()
    }

    fn read_datum(&mut self) -> Result<Sexp> {
        self.skip_trivia()?;
        let start = self.here();
        let Some(c) = self.peek() else {
            return Err(SlightError::read("unexpected end of input", start));
        };
        match c {
            '(' | '[' => self.read_list(),
            ')' | ']' => {
                self.bump();
                Err(SlightError::read(format!("unexpected '{c}'"), self.span_from(start)))
            }
            '"' => self.read_string(),
            '\'' => self.read_prefixed("quote", 1),
            '`' => self.read_prefixed("quasiquote", 1),
            ',' if self.peek2() == Some('@') => self.read_prefixed("unquote-splicing", 2),
            ',' => self.read_prefixed("unquote", 1),
            c if is_symbol_char(c) => self.read_atom(),
            c => {
                self.bump();
                Err(SlightError::read(format!("unexpected character '{c}'"), self.span_from(start)))
            }
        }
    }

    fn read_prefixed(&mut self, name: &str, len: usize) -> Result<Sexp> {
        let start = self.here();
        for _ in 0..len {
            self.bump();
        }
        let head_span = self.span_from(start);
        self.skip_trivia()?;
        if self.pos >= self.src.len() {
            return Err(SlightError::read(format!("unexpected end of input after '{name}' prefix"), head_span));
        }
        let inner = self.read()?;
        let span = start.to(inner.span);
        Ok(Sexp::list(vec![Sexp::sym(name, head_span), inner], span))
    }

    fn read_list(&mut self) -> Result<Sexp> {
        let start = self.here();
        let open = self.bump().unwrap_or('(');
        let close = if open == '[' { ']' } else { ')' };
        let mut items = Vec::new();
        let mut tail: Option<Box<Sexp>> = None;
        loop {
            self.skip_trivia()?;
            let Some(c) = self.peek() else {
                return Err(unclosed(open, start));
            };
            if c == close {
                self.bump();
                break;
            }
            if c == ')' || c == ']' {
                return Err(self.mismatched(c, close));
            }
            if c == '.' && self.peek2().is_none_or(|n| n.is_whitespace() || n == '(' || n == ')') {
                if tail.is_some() {
                    return Err(self.second_dot());
                }
                tail = Some(self.read_dotted_tail(open, close, start)?);
                continue;
            }
            if tail.is_some() {
                return Err(self.expected_close_after_tail());
            }
            let item = self.read()?;
            items.push(item);
        }
        let span = self.span_from(start);
        Ok(match tail {
            Some(t) => Sexp::new(SexpKind::Dotted(items, t), span),
            None => Sexp::list(items, span),
        })
    }

    /// After a ` . ` in a list: the tail datum, which must be followed by the closing bracket.
    fn read_dotted_tail(&mut self, open: char, close: char, start: Span) -> Result<Box<Sexp>> {
        self.bump();
        let t = self.read().map(Box::new)?;
        self.skip_trivia()?;
        match self.peek() {
            Some(c) if c == close => Ok(t),
            None => Err(unclosed(open, start)),
            Some(_) => Err(self.expected_close_after_tail()),
        }
    }

    #[cold]
    fn mismatched(&mut self, c: char, close: char) -> SlightError {
        let here = self.here();
        self.bump();
        SlightError::read(format!("mismatched '{c}': expected '{close}'"), self.span_from(here))
    }

    #[cold]
    fn second_dot(&mut self) -> SlightError {
        let dot = self.here();
        self.bump();
        SlightError::read("more than one '.' in a list", self.span_from(dot))
    }

    #[cold]
    fn expected_close_after_tail(&self) -> SlightError {
        SlightError::read("expected ')' after the tail of a dotted list", self.here())
    }

    fn read_string(&mut self) -> Result<Sexp> {
        let start = self.here();
        self.bump();
        let mut out = String::new();
        loop {
            let esc_start = self.here();
            match self.bump() {
                None => return Err(SlightError::read("unterminated string", Span { end: start.start + 1, ..start })),
                Some('"') => break,
                Some('\\') => {
                    let Some(e) = self.bump() else {
                        return Err(SlightError::read("unterminated string", Span { end: start.start + 1, ..start }));
                    };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '\\' => out.push('\\'),
                        '"' => out.push('"'),
                        '0' => out.push('\0'),
                        'u' => out.push(self.read_unicode_escape(esc_start)?),
                        other => {
                            return Err(SlightError::read(
                                format!("invalid escape \\{other} in string"),
                                self.span_from(esc_start),
                            ))
                        }
                    }
                }
                Some(c) => out.push(c),
            }
        }
        Ok(Sexp::new(SexpKind::Str(out), self.span_from(start)))
    }

    fn read_unicode_escape(&mut self, esc_start: Span) -> Result<char> {
        let bad = |r: &Self| SlightError::read("invalid unicode escape: expected \\u{HEX}", r.span_from(esc_start));
        if self.bump() != Some('{') {
            return Err(bad(self));
        }
        let mut hex = String::new();
        loop {
            match self.bump() {
                Some('}') => break,
                Some(c) if c.is_ascii_hexdigit() && hex.len() < 6 => hex.push(c),
                _ => return Err(bad(self)),
            }
        }
        u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or_else(|| {
            SlightError::read(format!("invalid unicode scalar value \\u{{{hex}}}"), self.span_from(esc_start))
        })
    }

    fn read_atom(&mut self) -> Result<Sexp> {
        let start = self.here();
        while let Some(c) = self.peek() {
            if !is_symbol_char(c) {
                break;
            }
            self.bump();
        }
        let text = &self.src[start.start as usize..self.pos];
        let span = self.span_from(start);
        Ok(Sexp::new(classify_atom(text, span)?, span))
    }
}

#[cold]
fn unclosed(open: char, start: Span) -> SlightError {
    SlightError::read(format!("unexpected end of input: unclosed '{open}'"), Span { end: start.start + 1, ..start })
}

#[cold]
fn too_deep(at: Span) -> SlightError {
    SlightError::read(format!("form nested too deeply (limit {MAX_NESTING} levels)"), at)
}

/// Decides what an atom token is: number, boolean, nil, keyword or symbol.
pub fn classify_atom(text: &str, span: Span) -> Result<SexpKind> {
    match text {
        "nil" => return Ok(SexpKind::Nil),
        "true" => return Ok(SexpKind::Bool(true)),
        "false" => return Ok(SexpKind::Bool(false)),
        _ => {}
    }
    if let Some(k) = text.strip_prefix(':') {
        if k.is_empty() {
            return Err(SlightError::read("empty keyword", span));
        }
        return Ok(SexpKind::Keyword(k.to_string()));
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        return parse_number(text, span);
    }
    Ok(SexpKind::Sym(text.to_string()))
}

fn parse_number(text: &str, span: Span) -> Result<SexpKind> {
    let bad = || SlightError::read(format!("invalid number '{text}'"), span);
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.ends_with('_') || body.contains("__") {
        return Err(bad());
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    if let Some(hex) = clean.strip_prefix("0x").or_else(|| clean.strip_prefix("0X")) {
        let magnitude = u64::from_str_radix(hex, 16).map_err(|_| bad())?;
        return signed(neg, magnitude as u128).ok_or_else(|| out_of_range(text, span)).map(SexpKind::Int);
    }
    if clean.chars().all(|c| c.is_ascii_digit()) {
        let magnitude: u128 = clean.parse().map_err(|_| out_of_range(text, span))?;
        return signed(neg, magnitude).ok_or_else(|| out_of_range(text, span)).map(SexpKind::Int);
    }
    let valid_float = clean.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c));
    match clean.parse::<f64>() {
        Ok(f) if valid_float && !clean.ends_with('.') => Ok(SexpKind::Float(if neg { -f } else { f })),
        _ => Err(bad()),
    }
}

fn signed(neg: bool, magnitude: u128) -> Option<i64> {
    if neg {
        if magnitude <= i64::MAX as u128 + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn out_of_range(text: &str, span: Span) -> SlightError {
    SlightError::read(format!("integer literal out of range: {text}"), span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read1(src: &str) -> Sexp {
        Reader::read_all(src, 0).unwrap().remove(0)
    }
    fn err(src: &str) -> SlightError {
        Reader::read_all(src, 0).unwrap_err()
    }

    #[test]
    fn atoms() {
        assert!(matches!(read1("42").kind, SexpKind::Int(42)));
        assert!(matches!(read1("-17").kind, SexpKind::Int(-17)));
        assert!(matches!(read1("1_000").kind, SexpKind::Int(1000)));
        assert!(matches!(read1("0xff").kind, SexpKind::Int(255)));
        assert!(matches!(read1("-9223372036854775808").kind, SexpKind::Int(i64::MIN)));
        assert!(matches!(read1("2.75").kind, SexpKind::Float(f) if f == 2.75));
        assert!(matches!(read1("1e9").kind, SexpKind::Float(f) if f == 1e9));
        assert!(matches!(read1("1.5e-3").kind, SexpKind::Float(f) if f == 1.5e-3));
        assert!(matches!(read1("-").kind, SexpKind::Sym(ref s) if s == "-"));
        assert!(matches!(read1("foo-bar?").kind, SexpKind::Sym(ref s) if s == "foo-bar?"));
        assert!(matches!(read1(":key").kind, SexpKind::Keyword(ref s) if s == "key"));
        assert!(matches!(read1("nil").kind, SexpKind::Nil));
        assert!(matches!(read1("true").kind, SexpKind::Bool(true)));
        assert!(matches!(read1("x:i64").kind, SexpKind::Sym(ref s) if s == "x:i64"));
    }

    #[test]
    fn strings_and_escapes() {
        assert!(matches!(read1(r#""a\nb\t\"\\\0\u{1F600}""#).kind, SexpKind::Str(ref s) if s == "a\nb\t\"\\\0😀"));
        let e = err(r#"  "a\qb""#);
        assert_eq!(e.message, "invalid escape \\q in string");
        assert_eq!((e.span.line, e.span.col), (1, 5));
        let e = err("(print \"abc");
        assert_eq!(e.message, "unterminated string");
        assert_eq!((e.span.line, e.span.col), (1, 8));
    }

    #[test]
    fn lists_spans_and_errors() {
        let form = read1("; c\n#| block |#\n (a 'b `(c ,d ,@e) (f . g))");
        assert_eq!((form.span.line, form.span.col), (3, 2));
        assert_eq!(form.to_string(), "(a (quote b) (quasiquote (c (unquote d) (unquote-splicing e))) (f . g))");
        let e = err("\n  (a (b)");
        assert_eq!(e.message, "unexpected end of input: unclosed '('");
        assert_eq!((e.span.line, e.span.col), (2, 3));
        let e = err("(a))");
        assert_eq!(e.message, "unexpected ')'");
        assert_eq!((e.span.line, e.span.col), (1, 4));
        assert_eq!(err("12abc").message, "invalid number '12abc'");
        assert_eq!(err("99999999999999999999").message, "integer literal out of range: 99999999999999999999");
        assert_eq!(err("(a . b c)").message, "expected ')' after the tail of a dotted list");
        assert_eq!(err("{").message, "unexpected character '{'");
    }

    #[test]
    fn streaming_yields_forms_one_by_one() {
        let mut r = Reader::new("(a) (b) )", 0);
        assert!(r.next_form().unwrap().is_ok());
        assert!(r.next_form().unwrap().is_ok());
        assert!(r.next_form().unwrap().is_err());
        assert!(r.next_form().is_none());
    }
}
