//! Errors raised before run time (reading, expanding, resolving). The runtime wraps them into
//! its error values, so every error the user sees has a kind, a message and a span.

use crate::span::Span;
use std::fmt;

/// The broad class of a front-end error; its name is what `error/type` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Read,
    Syntax,
    Name,
    Type,
    /// A call with the wrong number of arguments, found at compile time (`slight!`).
    Arity,
    /// No stack left to run the front end on (a process stack nearly used up).
    StackOverflow,
    /// A macro body went past one of the embedder's limits (it cannot be caught).
    Limit,
    /// A macro body was interrupted by the embedder (it cannot be caught).
    Interrupted,
}

impl ErrorKind {
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Read => "ReadError",
            ErrorKind::Syntax => "SyntaxError",
            ErrorKind::Name => "NameError",
            ErrorKind::Arity => "ArityError",
            ErrorKind::Type => "TypeError",
            ErrorKind::StackOverflow => "StackOverflow",
            ErrorKind::Limit => "LimitError",
            ErrorKind::Interrupted => "Interrupted",
        }
    }
}

/// A front-end error with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct SlightError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Span,
}

impl SlightError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Span) -> Self {
        SlightError { kind, message: message.into(), span }
    }
    pub fn read(message: impl Into<String>, span: Span) -> Self {
        Self::new(ErrorKind::Read, message, span)
    }
    pub fn syntax(message: impl Into<String>, span: Span) -> Self {
        Self::new(ErrorKind::Syntax, message, span)
    }
}

impl fmt::Display for SlightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for SlightError {}

pub type Result<T> = std::result::Result<T, SlightError>;
