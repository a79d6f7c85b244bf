//! Source positions: every token, Sexp, Core Form and instruction carries a [`Span`] that points
//! into a file registered in the [`SourceMap`].

use std::rc::Rc;

/// Index of a source file in a [`SourceMap`].
pub type FileId = u32;

/// A region of source text: byte range plus the 1-based line and column of its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

impl Span {
    /// A span covering `self` through `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span { end: other.end.max(self.end), ..self }
    }
}

/// One registered source: its display name and text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Rc<str>,
}

/// All source texts seen by a VM or compiler session, so errors can show the offending line.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a source text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Rc<str>>) -> FileId {
        self.files.push(SourceFile { name: name.into(), text: text.into() });
        (self.files.len() - 1) as FileId
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    /// `file:line:col` for a span.
    pub fn location(&self, span: Span) -> String {
        format!("{}:{}:{}", self.name(span.file), span.line, span.col)
    }

    /// The full text of the line a span starts on (without the newline).
    pub fn line_text(&self, span: Span) -> Option<&str> {
        let file = self.get(span.file)?;
        file.text.lines().nth(span.line.checked_sub(1)? as usize)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
