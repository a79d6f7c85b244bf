//! Runtime errors: the error *value* Slight code catches ([`ErrorValue`]) and the embedder-facing
//! [`Error`], rendered like a compiler diagnostic — the source line, a caret under the form that
//! failed, and the Slight stack trace.

use crate::value::Value;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Files, SimpleFile};
use codespan_reporting::term;
use slight_core::{SlightError, SourceMap, Span};
use std::fmt;

/// One entry of a Slight stack trace: the function and where it was executing.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    /// The function's name as the stack shows it.
    pub function: String,
    /// The position in that function where the error passed through (the failing operation or the
    /// call).
    pub span: Span,
}

/// An error as a Slight value: what `catch` binds and `error/message` reads. A thin box, so
/// `Result<Value, ErrorValue>` stays 16 bytes and the VM's fast paths return in registers.
#[derive(Clone, Debug)]
pub struct ErrorValue(Box<ErrorInfo>);

/// The contents of an [`ErrorValue`].
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    /// `error/type`: `Error`, `TypeError`, `ArityError`, `NameError`, …
    pub etype: String,
    /// The message (`error/message`).
    pub message: String,
    /// Where the error was raised, once known; the first position given is kept.
    pub span: Option<Span>,
    /// The Slight stack, innermost function first, filled in as the error propagates.
    pub trace: Vec<TraceEntry>,
    /// The thrown value when something other than a string or error was thrown.
    pub payload: Value,
    /// The marker a blocking builtin returns to pause its process (`process::pause`); Slight
    /// code cannot make one, whatever type it gives an error.
    pub(crate) pause: bool,
    /// `try` cannot catch it (a `finally` still runs): a `LimitError`, an `Interrupted` stop,
    /// a `kill`. Only the runtime makes these (see [`ErrorValue::uncatchable`]).
    pub(crate) uncatchable: bool,
}

impl std::ops::Deref for ErrorValue {
    type Target = ErrorInfo;
    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for ErrorValue {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

impl ErrorValue {
    /// An error of type `etype` (e.g. `TypeError`) with no position or stack yet.
    pub fn new(etype: &str, message: impl Into<String>) -> Self {
        ErrorValue(Box::new(ErrorInfo {
            etype: etype.to_string(),
            message: message.into(),
            span: None,
            trace: Vec::new(),
            payload: Value::Nil,
            pause: false,
            uncatchable: false,
        }))
    }

    /// The pause marker (see `process::pause`): one allocation, no strings.
    pub(crate) fn pause_marker() -> Self {
        ErrorValue(Box::new(ErrorInfo {
            etype: String::new(),
            message: String::new(),
            span: None,
            trace: Vec::new(),
            payload: Value::Nil,
            pause: true,
            uncatchable: false,
        }))
    }
    /// An error `try` cannot catch (its `finally` blocks still run): the script is being
    /// stopped, not told about a problem it could handle.
    pub fn uncatchable(etype: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(etype, message);
        e.uncatchable = true;
        e
    }
    /// A `LimitError`: the script went past one of the embedder's [`Limits`](crate::Limits),
    /// named in the message (`instructions limit (1000) exceeded`). Uncatchable.
    pub fn limit(name: &str, detail: impl std::fmt::Display) -> Self {
        Self::uncatchable("LimitError", format!("{name} limit ({detail}) exceeded"))
    }
    /// True unless `try` must let it through (see [`ErrorValue::uncatchable`]).
    pub fn is_catchable(&self) -> bool {
        !self.uncatchable
    }
    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", message)
    }
    /// An `ArityError` (wrong number of arguments).
    pub fn arity(message: impl Into<String>) -> Self {
        Self::new("ArityError", message)
    }
    /// An `ArithmeticError` (integer overflow, division by zero).
    pub fn arithmetic(message: impl Into<String>) -> Self {
        Self::new("ArithmeticError", message)
    }
    /// A plain `Error`, as `throw` raises for a string.
    pub fn user(message: impl Into<String>) -> Self {
        Self::new("Error", message)
    }
    /// A front-end error (read, syntax, name, arity or type) as an error value at its position.
    pub fn from_front(e: &SlightError) -> Self {
        let mut v = Self::new(e.kind.type_name(), e.message.clone());
        v.span = Some(e.span);
        v.uncatchable = matches!(e.kind, slight_core::ErrorKind::Limit | slight_core::ErrorKind::Interrupted);
        v
    }
    /// The same error with another message.
    pub fn with_message(mut self, message: String) -> Self {
        self.message = message;
        self
    }
    /// A thrown non-error value, wrapped (its print form is the message).
    pub fn wrapping(payload: Value) -> Self {
        let mut v = Self::user(payload.to_print_string());
        v.payload = payload;
        v
    }
}

/// Shorthand for builtins: `Err(type_error(...))`.
pub fn type_error<T>(message: impl Into<String>) -> Result<T, ErrorValue> {
    Err(ErrorValue::type_error(message))
}

/// An error returned to the embedder: kind, message, position, Slight stack, and its rendering.
/// (Boxed so `Result<_, Error>` stays small; fields are reached through `Deref`.)
#[derive(Clone, Debug)]
pub struct Error(Box<ErrorDetails>);

/// The contents of an [`Error`], reached through `Deref`.
#[derive(Clone, Debug)]
pub struct ErrorDetails {
    /// The error type, e.g. `TypeError` (what `error/type` gives).
    pub kind: String,
    /// The message, without the position.
    pub message: String,
    /// `file:line:col` of the form that raised it, when known.
    pub location: Option<String>,
    /// The position of the form that raised it, when known.
    pub span: Option<Span>,
    /// The Slight stack as `at FUNCTION (file:line:col)` lines, innermost first.
    pub trace: Vec<String>,
    /// The full diagnostic: header, source line with caret, stack trace.
    pub rendered: String,
    /// The error as a Slight value (for re-raising or inspection).
    pub value: Value,
}

impl Error {
    /// The embedder-facing form of `e`, with its location, stack and rendering resolved against
    /// `sources`.
    pub fn from_value(e: &std::rc::Rc<ErrorValue>, sources: &SourceMap) -> Error {
        let trace: Vec<String> =
            e.trace.iter().map(|t| format!("at {} ({})", t.function, sources.location(t.span))).collect();
        Error(Box::new(ErrorDetails {
            kind: e.etype.clone(),
            message: e.message.clone(),
            location: e.span.map(|s| sources.location(s)),
            span: e.span,
            rendered: render(e, &trace, sources),
            trace,
            value: Value::Error(e.clone()),
        }))
    }

    /// A plain error with no source position (I/O and the like).
    pub fn plain(kind: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        let value = Value::Error(std::rc::Rc::new(ErrorValue::new(kind, message.clone())));
        Error(Box::new(ErrorDetails {
            kind: kind.into(),
            rendered: format!("error[{kind}]: {message}\n"),
            message,
            location: None,
            span: None,
            trace: vec![],
            value,
        }))
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorDetails;
    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{loc}: {}: {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

impl std::error::Error for Error {}

struct MapFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for MapFiles<'a> {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;
    fn name(&'a self, id: u32) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.0.name(id))
    }
    fn source(&'a self, id: u32) -> Result<&'a str, codespan_reporting::files::Error> {
        self.0.get(id).map(|f| &*f.text).ok_or(codespan_reporting::files::Error::FileMissing)
    }
    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, codespan_reporting::files::Error> {
        let src = self.source(id)?;
        SimpleFile::new("", src).line_index((), byte_index)
    }
    fn line_range(
        &'a self,
        id: u32,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let src = self.source(id)?;
        SimpleFile::new("", src).line_range((), line_index)
    }
}

fn render(e: &ErrorValue, trace: &[String], sources: &SourceMap) -> String {
    let mut diag = Diagnostic::error().with_code(e.etype.clone()).with_message(e.message.clone());
    if let Some(span) = e.span.filter(|s| sources.get(s.file).is_some()) {
        let text = &sources.get(span.file).map(|f| f.text.clone()).unwrap_or_default();
        let start = (span.start as usize).min(text.len());
        // Underline the head of the form, not the whole (possibly multi-line) form.
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = (span.end as usize).clamp(start + 1, line_end.max(start + 1)).min(text.len().max(start));
        diag = diag.with_labels(vec![Label::primary(span.file, start..end)]);
    }
    if !trace.is_empty() {
        let mut note = String::from("Slight stack (innermost first):");
        for t in trace.iter().take(12) {
            note.push_str("\n  ");
            note.push_str(t);
        }
        if trace.len() > 12 {
            note.push_str(&format!("\n  ... {} more frames", trace.len() - 12));
        }
        diag = diag.with_notes(vec![note]);
    }
    match term::emit_into_string(&term::Config::default(), &MapFiles(sources), &diag) {
        Ok(text) => text,
        Err(_) => format!("error[{}]: {}\n", e.etype, e.message),
    }
}
