//! S-expressions as read from source: the data the expander and macros work on.

use crate::span::Span;
use std::fmt;

/// A datum with the span of its source text.
#[derive(Clone, Debug)]
pub struct Sexp {
    pub kind: SexpKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum SexpKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Sym(String),
    Keyword(String),
    List(Vec<Sexp>),
    /// `(a b . rest)`: the fixed elements and the tail.
    Dotted(Vec<Sexp>, Box<Sexp>),
}

impl Sexp {
    pub fn new(kind: SexpKind, span: Span) -> Self {
        Sexp { kind, span }
    }
    pub fn sym(name: &str, span: Span) -> Self {
        Sexp::new(SexpKind::Sym(name.to_string()), span)
    }
    pub fn list(items: Vec<Sexp>, span: Span) -> Self {
        Sexp::new(SexpKind::List(items), span)
    }
    pub fn as_sym(&self) -> Option<&str> {
        match &self.kind {
            SexpKind::Sym(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Sexp]> {
        match &self.kind {
            SexpKind::List(items) => Some(items),
            _ => None,
        }
    }
    /// The head symbol of a list form, if any.
    pub fn head_sym(&self) -> Option<&str> {
        self.as_list().and_then(|l| l.first()).and_then(Sexp::as_sym)
    }
    pub fn is_sym(&self, name: &str) -> bool {
        self.as_sym() == Some(name)
    }
    /// Structural equality ignoring spans.
    pub fn same(&self, other: &Sexp) -> bool {
        use SexpKind::*;
        match (&self.kind, &other.kind) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Str(a), Str(b)) | (Sym(a), Sym(b)) | (Keyword(a), Keyword(b)) => a == b,
            (List(a), List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            (Dotted(a, r), Dotted(b, s)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)) && r.same(s),
            _ => false,
        }
    }
}

/// Formats a float the Slight way: shortest round-trip, with `.0` when integral.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else if f.abs() >= 1e16 || f.abs() < 1e-6 {
        // Shortest round-trip digits in exponent form (`1e16`, `2.5e-7`): reads back as a float.
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

/// Writes a string literal with escapes, as the REPL prints strings.
pub fn write_escaped(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\0' => f.write_str("\\0")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Sexp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SexpKind::Nil => f.write_str("nil"),
            SexpKind::Bool(b) => write!(f, "{b}"),
            SexpKind::Int(i) => write!(f, "{i}"),
            SexpKind::Float(x) => f.write_str(&format_float(*x)),
            SexpKind::Str(s) => write_escaped(f, s),
            SexpKind::Sym(s) => f.write_str(s),
            SexpKind::Keyword(k) => write!(f, ":{k}"),
            SexpKind::List(items) => {
                f.write_str("(")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            SexpKind::Dotted(items, rest) => {
                f.write_str("(")?;
                for x in items {
                    write!(f, "{x} ")?;
                }
                write!(f, ". {rest})")
            }
        }
    }
}
