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
///
/// Embedders often `eval` the same snippet many times, or many different snippets: identical
/// (name, text) pairs share one entry, and only the newest [`KEPT_ANONYMOUS`] texts of
/// anonymous sources (names starting with `<`, such as `<eval>`) are kept — older ones still
/// report `file:line:col` but no longer show the source line.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    by_content: std::collections::HashMap<(String, Rc<str>), FileId>,
    anonymous: std::collections::VecDeque<FileId>,
}

/// How many anonymous source texts a [`SourceMap`] keeps.
pub const KEPT_ANONYMOUS: usize = 1000;

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a source text and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Rc<str>>) -> FileId {
        let (name, text) = (name.into(), text.into());
        let key = (name, text);
        if let Some(&id) = self.by_content.get(&key) {
            return id;
        }
        let id = self.files.len() as FileId;
        let anonymous = key.0.starts_with('<');
        self.files.push(SourceFile { name: key.0.clone(), text: key.1.clone() });
        if anonymous {
            self.by_content.insert(key, id);
            self.anonymous.push_back(id);
            if self.anonymous.len() > KEPT_ANONYMOUS {
                let old = self.anonymous.pop_front().expect("non-empty");
                let file = &mut self.files[old as usize];
                self.by_content.remove(&(file.name.clone(), file.text.clone()));
                file.text = Rc::from("");
            }
        } else {
            self.by_content.insert(key, id);
        }
        id
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sources_share_an_entry_and_anonymous_texts_are_bounded() {
        let mut m = SourceMap::new();
        let a = m.add("<eval>", "(+ 1 2)");
        assert_eq!(m.add("<eval>", "(+ 1 2)"), a);
        assert_ne!(m.add("<eval>", "(+ 1 3)"), a);
        for i in 0..(KEPT_ANONYMOUS + 10) {
            m.add("<eval>", format!("(+ {i} 0)"));
        }
        assert_eq!(&*m.get(a).unwrap().text, "", "oldest anonymous text dropped");
        let f = m.add("prog.sl", "(print 1)");
        assert_eq!(m.add("prog.sl", "(print 1)"), f);
        let span = Span { file: f, start: 1, end: 6, line: 1, col: 2 };
        assert_eq!(m.location(span), "prog.sl:1:2");
        assert_eq!(m.line_text(span), Some("(print 1)"));
    }
}
