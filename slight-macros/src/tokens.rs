//! Token reader for `slight!{ ... }`: turns the token stream the Rust lexer made of a Slight
//! program back into Slight source text, plus a map from byte ranges of that text to the token
//! spans, so reader/expander errors can point at the exact token in the user's Rust file.
//!
//! # Rejoining symbols
//!
//! The Rust lexer splits `empty?` into `empty` `?`, `list/map` into `list` `/` `map`, `x:i64`
//! into three tokens, `-17` into `-` `17`. Two tokens are written back without a space between
//! them when they were adjacent in the source: the end line/column of one equals the start
//! line/column of the next. Positions come from `proc_macro2::Span::start`/`end`, which need
//! proc-macro2's `span-locations` feature. Inside a real proc macro they are real positions on
//! stable Rust since 1.88, where `proc_macro::Span::{start, end, line, column}` were stabilised
//! (proc-macro2 ≥ 1.0.95 probes for them in its build script and uses them); this was checked
//! with a throwaway proc macro on rustc 1.95, also through a `macro_rules!` wrapper.
//! `Span::join` and `Span::byte_range` still return nothing useful on stable, so they are not
//! relied on. Outside a proc macro (unit tests) proc-macro2's fallback tracks positions itself.
//!
//! # Positions are kept
//!
//! Whitespace is written so that every token starts in the text at the same line and column as
//! in the Rust file (the text begins with blank lines and spaces up to the first token). Slight
//! positions (`line:col` in compile errors, and in run-time errors of compiled code) are
//! therefore Rust file positions. Where a rewritten token is longer than the original (an escape
//! rewritten in a string), the next token follows after one space and the rest of that line is
//! shifted.
//!
//! Tokens without a usable position (zero-width spans, or two tokens with the same span, as made
//! by `quote!` with `Span::call_site()`) fall back to the lexer's `Spacing`: a `Joint`
//! punctuation character is glued to the punctuation that follows (`<=`), nothing else is.
//!
//! # What maps to what
//!
//! Identifiers, punctuation and numbers are copied; `( )` and `[ ]` stay as they are (both are
//! lists to the Slight reader); a `None`-delimited group (a `macro_rules!` fragment) is
//! transparent. Rust string literals become Slight strings: escapes Slight shares (`\n \t \r \\
//! \" \0 \u{..}`) are kept as written, `\'` and `\x..` are rewritten, line continuations are
//! applied; raw strings are escaped. Errors, each at the offending token's span: `{ }`, char,
//! byte and C-string literals, numbers with a type suffix (`1u8`), string suffixes, raw
//! identifiers, `;` (a Slight comment would swallow the rest of the line), `#`, and brackets
//! nested deeper than the reader accepts.
//!
//! `slight!(r#"..."#)` — exactly one raw string literal — is the full-syntax escape hatch: its
//! content is returned as the source (after the padding that puts it at its Rust position),
//! mapped as a whole to the literal's span (stable Rust has no sub-spans of a literal).

use proc_macro2::{Delimiter, LineColumn, Literal, Spacing, Span, TokenStream, TokenTree};
use slight_core::reader::MAX_NESTING;
use std::ops::Range;

/// Byte ranges of the produced text and the spans of the tokens they came from. Sorted by
/// start; a group's whole range comes before its delimiters and contents.
pub type SpanMap = Vec<(Range<usize>, Span)>;

/// A token that has no Slight meaning, with its span (for `compile_error!`).
#[derive(Debug, Clone)]
pub struct TokenError {
    pub message: String,
    pub span: Span,
}

impl TokenError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        TokenError { message: message.into(), span }
    }
}

/// The Slight source text of a `slight!` input and its span map (see the module docs).
pub fn to_source(tokens: TokenStream) -> Result<(String, SpanMap), TokenError> {
    if let Some(lit) = single_literal(tokens.clone()) {
        let text = lit.to_string();
        if let Some((content, suffix)) = raw_string_parts(&text) {
            if !suffix.is_empty() {
                return Err(TokenError::new(format!("unexpected suffix `{suffix}` on a string literal"), lit.span()));
            }
            // The content starts after `r`, the hashes and the quote.
            let opening = text.len() - text.trim_start_matches(['r', '#']).len() + 1;
            let start = lit.span().start();
            let mut out = String::new();
            if located(start, lit.span().end()) {
                pad(&mut out, start.line.saturating_sub(1), start.column + opening);
            }
            let at = out.len();
            out.push_str(content);
            let len = out.len();
            return Ok((out, vec![(at..len, lit.span())]));
        }
    }
    let mut w =
        Writer { out: String::new(), map: Vec::new(), depth: 0, prev: None, at: LineColumn { line: 1, column: 0 } };
    w.stream(tokens)?;
    let Writer { out, mut map, .. } = w;
    map.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
    Ok((out, map))
}

/// The first and last token of a byte range of the text `to_source` produced, for an error
/// that covers them all: an error whose first tokens carry the first span and whose last carry
/// the last is shown by rustc from the one to the other (stable Rust cannot join spans). A range
/// that is exactly one token or group gives that span twice; a range inside one token (or empty
/// at its end) gives that token.
pub fn span_range_for(map: &[(Range<usize>, Span)], range: Range<usize>) -> Option<(Span, Span)> {
    if let Some((_, span)) = map.iter().find(|(r, _)| *r == range) {
        return Some((*span, *span));
    }
    let mut inside = map.iter().filter(|(r, _)| r.start >= range.start && r.end <= range.end && !r.is_empty());
    if let Some((_, first)) = inside.next() {
        let last = inside.max_by_key(|(r, _)| r.end).map_or(*first, |(_, s)| *s);
        return Some((*first, last));
    }
    // An empty range at the end of a token (the end of the input) belongs to that token.
    let containing =
        map.iter().filter(|(r, _)| r.start <= range.start && range.start <= r.end).min_by_key(|(r, _)| r.len());
    containing.map(|(_, s)| (*s, *s))
}

/// The literal if the stream is exactly one literal (possibly inside `None`-delimited groups).
fn single_literal(tokens: TokenStream) -> Option<Literal> {
    let mut iter = tokens.into_iter();
    let only = iter.next()?;
    if iter.next().is_some() {
        return None;
    }
    match only {
        TokenTree::Literal(lit) => Some(lit),
        TokenTree::Group(g) if g.delimiter() == Delimiter::None => single_literal(g.stream()),
        _ => None,
    }
}

/// What the writer remembers about the previous token to decide on a separator.
#[derive(Clone, Copy)]
struct Prev {
    start: LineColumn,
    end: LineColumn,
    joint_punct: bool,
}

struct Writer {
    out: String,
    map: SpanMap,
    /// Brackets open around the current token.
    depth: usize,
    /// The previous token at the current nesting level (`None` right after an opening bracket).
    prev: Option<Prev>,
    /// The Rust position (1-based line, 0-based column in characters) the end of `out` stands
    /// for.
    at: LineColumn,
}

fn located(start: LineColumn, end: LineColumn) -> bool {
    start != end
}

/// Appends `lines` line breaks, then `columns` spaces.
fn pad(out: &mut String, lines: usize, columns: usize) {
    out.extend(std::iter::repeat_n('\n', lines));
    out.extend(std::iter::repeat_n(' ', columns));
}

impl Writer {
    fn stream(&mut self, tokens: TokenStream) -> Result<(), TokenError> {
        for tt in tokens {
            self.tree(tt)?;
        }
        Ok(())
    }

    /// Appends `text` and moves `at` past it.
    fn write(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.at = LineColumn { line: self.at.line + 1, column: 0 };
            } else {
                self.at.column += 1;
            }
        }
        self.out.push_str(text);
    }

    /// Writes whitespace up to the Rust position `to`, if that is still ahead.
    fn pad_to(&mut self, to: LineColumn) {
        let mut gap = String::new();
        if to.line > self.at.line {
            pad(&mut gap, to.line - self.at.line, to.column);
        } else if to.line == self.at.line && to.column > self.at.column {
            pad(&mut gap, 0, to.column - self.at.column);
        }
        self.write(&gap);
    }

    /// Writes the whitespace before a token that starts at `start` and ends at `end`: up to its
    /// Rust position if it has one and that is still ahead, and at least the separator the
    /// previous token needs.
    fn separate(&mut self, start: LineColumn, end: LineColumn, is_punct: bool) {
        let same_as_prev = self.prev.is_some_and(|p| (p.start, p.end) == (start, end));
        let before = self.out.len();
        if located(start, end) && !same_as_prev {
            self.pad_to(start);
        }
        let Some(prev) = self.prev else { return };
        let both_located = located(prev.start, prev.end) && located(start, end) && !same_as_prev;
        let glued = if both_located { prev.end == start } else { prev.joint_punct && is_punct };
        if self.out.len() == before && !glued {
            self.write(" ");
        }
    }

    fn push_token(&mut self, text: &str, span: Span, joint_punct: bool) {
        let (start, end) = (span.start(), span.end());
        self.separate(start, end, false);
        let at = self.out.len();
        self.write(text);
        self.map.push((at..self.out.len(), span));
        self.prev = Some(Prev { start, end, joint_punct });
    }

    fn tree(&mut self, tt: TokenTree) -> Result<(), TokenError> {
        match tt {
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                if let Some(bare) = text.strip_prefix("r#") {
                    return Err(TokenError::new(
                        format!("raw identifiers are not Slight syntax: write `{bare}`"),
                        ident.span(),
                    ));
                }
                self.push_token(&text, ident.span(), false);
            }
            TokenTree::Punct(p) => {
                let span = p.span();
                match p.as_char() {
                    ';' => {
                        return Err(TokenError::new(
                            "`;` starts a comment in Slight; inside slight!{} use `//` comments",
                            span,
                        ))
                    }
                    '#' => return Err(TokenError::new("`#` is not Slight syntax inside slight!{}", span)),
                    c => {
                        let (start, end) = (span.start(), span.end());
                        self.separate(start, end, true);
                        let at = self.out.len();
                        self.write(c.encode_utf8(&mut [0; 4]));
                        self.map.push((at..self.out.len(), span));
                        self.prev = Some(Prev { start, end, joint_punct: p.spacing() == Spacing::Joint });
                    }
                }
            }
            TokenTree::Literal(lit) => {
                let text = literal_source(&lit)?;
                self.push_token(&text, lit.span(), false);
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => return self.stream(g.stream()),
                    Delimiter::Brace => {
                        return Err(TokenError::new(
                            "`{ }` is not Slight syntax: use `( )` for lists (maps are built with `map/create`)",
                            g.span(),
                        ))
                    }
                };
                // The reader would refuse it anyway; stopping here keeps this recursion shallow.
                if self.depth >= MAX_NESTING {
                    let message = format!("form nested too deeply (limit {MAX_NESTING} levels)");
                    return Err(TokenError::new(message, g.span_open()));
                }
                let (start, end) = (g.span_open().start(), g.span_close().end());
                self.separate(start, end, false);
                let at = self.out.len();
                self.write(open);
                self.map.push((at..at + 1, g.span_open()));
                self.prev = None;
                self.depth += 1;
                self.stream(g.stream())?;
                self.depth -= 1;
                if located(g.span_close().start(), end) {
                    self.pad_to(g.span_close().start());
                }
                let close_at = self.out.len();
                self.write(close);
                self.map.push((close_at..close_at + 1, g.span_close()));
                self.map.push((at..self.out.len(), g.span()));
                self.prev = Some(Prev { start, end, joint_punct: false });
            }
        }
        Ok(())
    }
}

/// The Slight text for a literal token, or the error it deserves.
fn literal_source(lit: &Literal) -> Result<String, TokenError> {
    let text = lit.to_string();
    let err = |m: String| Err(TokenError::new(m, lit.span()));
    let first = text.chars().next().unwrap_or(' ');
    if first == '"' {
        let (body, suffix) = split_string(&text);
        if !suffix.is_empty() {
            return err(format!("unexpected suffix `{suffix}` on a string literal"));
        }
        return Ok(format!("\"{}\"", rust_escapes_to_slight(body)));
    }
    if let Some((content, suffix)) = raw_string_parts(&text) {
        if !suffix.is_empty() {
            return err(format!("unexpected suffix `{suffix}` on a string literal"));
        }
        return Ok(format!("\"{}\"", content.replace('\\', "\\\\").replace('"', "\\\"")));
    }
    if first == '\'' {
        return err(format!(
            "character literals are not Slight syntax: write a string, \"{}\"",
            text.get(1..text.len().saturating_sub(1)).unwrap_or("")
        ));
    }
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.starts_with(|c: char| c.is_ascii_digit()) {
        let suffix = number_suffix(digits);
        if !suffix.is_empty() {
            return err(format!(
                "Slight numbers have no type suffix (`{suffix}` in `{text}`): write `{}` and annotate the binding, e.g. `x:i64`",
                &text[..text.len() - suffix.len()]
            ));
        }
        return Ok(text);
    }
    if first == 'b' || first == 'c' {
        return err(format!("byte and C string literals are not Slight syntax: `{text}`"));
    }
    err(format!("unsupported literal `{text}`"))
}

/// A `"..."` literal's body (between the quotes) and whatever suffix follows the closing quote.
fn split_string(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return (&text[1..i], &text[i + 1..]),
            _ => i += 1,
        }
    }
    (&text[1..], "")
}

/// `r"..."` / `r#"..."#`: the content and the suffix; `None` if `text` is not a raw string.
fn raw_string_parts(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('r')?;
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    let body = rest[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let end = body.rfind(&closing)?;
    Some((&body[..end], &body[end + closing.len()..]))
}

/// Rewrites the escapes of a Rust string body into Slight's: the shared ones stay as written.
fn rust_escapes_to_slight(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e @ ('n' | 't' | 'r' | '\\' | '"' | '0')) => {
                out.push('\\');
                out.push(e);
            }
            Some('\'') => out.push('\''),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push_str(&format!("\\u{{{hex}}}"));
            }
            Some('u') => {
                out.push_str("\\u");
                for c in chars.by_ref() {
                    if c != '_' {
                        out.push(c);
                    }
                    if c == '}' {
                        break;
                    }
                }
            }
            Some('\n') | Some('\r') => while chars.next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).is_some() {},
            // The Rust lexer rejected anything else already; keep it for the Slight reader.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The type suffix of a numeric literal (`""` if none): `1u8` → `u8`, `1.5f64` → `f64`,
/// `0xffi32` → `i32`; exponents (`1e9`, `1.5e-3`) and `_` separators are part of the number.
fn number_suffix(text: &str) -> &str {
    let b = text.as_bytes();
    let mut i;
    if b.len() > 2 && b[0] == b'0' && matches!(b[1], b'x' | b'o' | b'b') {
        let hex = b[1] == b'x';
        i = 2;
        while i < b.len() && (b[i] == b'_' || if hex { b[i].is_ascii_hexdigit() } else { b[i].is_ascii_digit() }) {
            i += 1;
        }
        return &text[i..];
    }
    let digits = |mut i: usize| {
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        i
    };
    i = digits(0);
    if i < b.len() && b[i] == b'.' && b.get(i + 1).is_none_or(|c| c.is_ascii_digit()) {
        i = digits(i + 1);
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    &text[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use slight_core::Reader;

    fn src(code: &str) -> String {
        to_source(code.parse().unwrap()).unwrap().0
    }

    fn err(code: &str) -> TokenError {
        to_source(code.parse().unwrap()).unwrap_err()
    }

    #[test]
    fn symbols_are_rejoined_by_adjacency() {
        for code in [
            "(defun empty? (xs) (== xs nil))",
            "(list/map f xs)",
            "(set! x 1)",
            "(def a-b *count*)",
            "(def x:i64 10)",
            "(<= a b)",
            "(f :name -17 (- 1 2) - 1)",
            "(a b . rest)",
            "(quote x)",
            "(quasiquote (a ,b ,@c))",
            "(list->vec e.message foo-bar?!)",
            "(f (g)(h) x)",
            "[a b]",
            "(math/div 7 2) (list 1_000 0xff 3.14 1e9 1.5e-3 -2.5)",
        ] {
            assert_eq!(src(code), code);
        }
    }

    #[test]
    fn line_breaks_are_kept_and_comments_dropped() {
        let code = "(defun f (x)\n  // a comment\n  (+ x 1))\n(f 2)";
        assert_eq!(src(code), "(defun f (x)\n\n  (+ x 1))\n(f 2)");
    }

    #[test]
    fn positions_are_rust_positions() {
        let code = "\n    (f x\n       \"a\\x41\" y\n   )";
        // `"a\x41"` is rewritten two characters longer, so `y` moves (one space after it)
        assert_eq!(src(code), "\n    (f x\n       \"a\\u{41}\" y\n   )");
        let form = &Reader::read_all(&src(code), 0).unwrap()[0];
        let y = &form.as_list().unwrap()[2];
        assert_eq!((form.span.line, form.span.col, y.span.col), (2, 5, 8));
    }

    #[test]
    fn output_reads_as_slight() {
        let text = src("(defun empty? (xs) (== xs nil)) (list/map f (quote (1 2))) (set! *x* x:i64) :k");
        let forms = Reader::read_all(&text, 0).unwrap();
        let printed: Vec<String> = forms.iter().map(|f| f.to_string()).collect();
        assert_eq!(printed[0], "(defun empty? (xs) (== xs nil))");
        assert_eq!(forms.len(), 4);
    }

    #[test]
    fn strings() {
        assert_eq!(src(r#"(say "a\nb\t\"q\"\\ \0 \u{1F600}")"#), r#"(say "a\nb\t\"q\"\\ \0 \u{1F600}")"#);
        assert_eq!(src(r#""it\'s \x41 \u{1_F600}""#), r#""it's \u{41} \u{1F600}""#);
        assert_eq!(src("\"one \\\n     two\""), "\"one two\"");
        assert_eq!(src(r###"(f r#"say "hi" \n"#)"###), r#"(f "say \"hi\" \\n")"#);
        assert_eq!(src("(f \"multi\nline\")"), "(f \"multi\nline\")");
        // what the Slight reader makes of them
        let text = src(r#"(f "it\'s\x41" r"a\b")"#);
        let form = &Reader::read_all(&text, 0).unwrap()[0];
        assert_eq!(form.to_string(), r#"(f "it'sA" "a\\b")"#);
    }

    #[test]
    fn single_raw_string_is_full_syntax() {
        let ts: TokenStream = r####"r#"(def x '(1 2)) ; comment
`(a ,b)"#"####
            .parse()
            .unwrap();
        let lit_span = ts.clone().into_iter().next().unwrap().span();
        let (text, map) = to_source(ts).unwrap();
        // three spaces stand for `r#"`
        assert_eq!(text, "   (def x '(1 2)) ; comment\n`(a ,b)");
        assert_eq!(map.len(), 1);
        assert_eq!(map[0].0, 3..text.len());
        assert_eq!(map[0].1.start(), lit_span.start());
        // a plain string alone is just a string expression
        assert_eq!(src(r#""hi""#), r#""hi""#);
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = err("(f 'c')");
        assert!(e.message.contains("character literal"), "{}", e.message);
        assert_eq!((e.span.start().line, e.span.start().column), (1, 3));

        let e = err("(f\n  1u8)");
        assert!(e.message.contains("`u8`"), "{}", e.message);
        assert_eq!((e.span.start().line, e.span.start().column), (2, 2));

        for (code, needle) in [
            ("(f 1.5f64)", "`f64`"),
            ("(f 0xffi32)", "`i32`"),
            ("(f 1e9f32)", "`f32`"),
            ("(f { x })", "`{ }`"),
            ("(f b\"x\")", "byte and C string"),
            ("(f b'x')", "byte and C string"),
            ("(f \"x\"suf)", "suffix `suf`"),
            ("(f r#type)", "raw identifiers"),
            ("(f x; y)", "`;`"),
            ("(f #x)", "`#`"),
        ] {
            let e = err(code);
            assert!(e.message.contains(needle), "{code}: {}", e.message);
        }
        assert_eq!(err("(f { x })").span.start().column, 3);
    }

    #[test]
    fn span_map_points_back() {
        let code = "(defun empty? (xs)\n  (list/map f xs))";
        let (text, map) = to_source(code.parse().unwrap()).unwrap();
        for (range, span) in &map {
            let piece = &text[range.clone()];
            // each mapped piece starts where its token starts in the original
            let line = code.lines().nth(span.start().line - 1).unwrap();
            assert!(line[span.start().column..].starts_with(&piece[..1]), "{piece:?}");
        }
        // `list/map` is three tokens; the whole symbol maps to the spans of `list` and `map`
        let at = text.find("list/map").unwrap();
        let (first, last) = span_range_for(&map, at..at + 8).unwrap();
        assert_eq!((first.start().line, first.start().column, last.end().column), (2, 3, 11));
        // a whole form maps to its group
        let at = text.find("(list").unwrap();
        let (first, last) = span_range_for(&map, at..text.len() - 1).unwrap();
        assert_eq!((first.start().column, first.end().column), (2, 17));
        assert_eq!((last.start().column, last.end().column), (2, 17));
        // a position inside a token maps to that token
        let (first, _) = span_range_for(&map, 2..3).unwrap();
        assert_eq!((first.start().column, first.end().column), (1, 6));
        // the text keeps the Rust positions
        assert_eq!(text, code);
        // ranges are sorted by start
        assert!(map.windows(2).all(|w| w[0].0.start <= w[1].0.start));
    }

    #[test]
    fn tokens_without_positions_use_spacing() {
        use proc_macro2::{Ident, Punct};
        let s = Span::call_site();
        let ts: TokenStream = [
            TokenTree::Ident(Ident::new("a", s)),
            TokenTree::Punct(Punct::new('<', Spacing::Joint)),
            TokenTree::Punct(Punct::new('=', Spacing::Alone)),
            TokenTree::Ident(Ident::new("b", s)),
        ]
        .into_iter()
        .collect();
        assert_eq!(to_source(ts).unwrap().0, "a <= b");
    }

    #[test]
    fn none_groups_are_transparent() {
        use proc_macro2::Group;
        let inner: TokenStream = "(f x)".parse().unwrap();
        let ts: TokenStream = [TokenTree::Group(Group::new(Delimiter::None, inner))].into_iter().collect();
        assert_eq!(src_of(ts), "(f x)");
        let raw: TokenStream = "r\"(g 'y)\"".parse().unwrap();
        let ts: TokenStream = [TokenTree::Group(Group::new(Delimiter::None, raw))].into_iter().collect();
        assert_eq!(src_of(ts), "  (g 'y)"); // two spaces stand for `r"`
    }

    fn src_of(ts: TokenStream) -> String {
        to_source(ts).unwrap().0
    }

    #[test]
    fn number_suffixes() {
        for (n, s) in [
            ("1", ""),
            ("1_000", ""),
            ("0xff", ""),
            ("0xffu8", "u8"),
            ("1.5", ""),
            ("1.5e-3", ""),
            ("1e9", ""),
            ("1E+9", ""),
            ("1i64", "i64"),
            ("1.0f32", "f32"),
            ("1f32", "f32"),
            ("0b101", ""),
            ("0o17u16", "u16"),
            ("1.", ""),
        ] {
            assert_eq!(number_suffix(n), s, "{n}");
        }
    }
}
