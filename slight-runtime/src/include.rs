//! `(include "path")`: loads another file at this point, through the same streaming pipeline
//! (its macros affect the forms after them, its errors point into it).
//!
//! Resolution order: the including file's directory, then the include paths (`-I` on the CLI,
//! `Vm::add_include_path` when embedding), then the current directory. Needs the `include`
//! capability; a VM confined to an fs root only includes files inside it. A file that is
//! already being included is a circular-include error naming the chain.

use crate::error::{Error, ErrorValue};
use crate::value::Value;
use crate::vm::Vm;
use slight_core::{Sexp, SexpKind, Span};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The target of a top-level `(include "path")` form, if this is one.
pub fn include_target(form: &Sexp) -> Option<&str> {
    match form.as_list()? {
        [head, arg] if head.is_sym("include") => match &arg.kind {
            SexpKind::Str(path) => Some(path),
            _ => None,
        },
        _ => None,
    }
}

fn include_error(message: String, span: Span) -> Rc<ErrorValue> {
    let mut e = ErrorValue::new("IncludeError", message);
    e.span = Some(span);
    Rc::new(e)
}

impl Vm {
    /// Finds the file `(include target)` means, written in the source named `from`.
    fn resolve_include(&self, target: &str, from: &str) -> Result<PathBuf, String> {
        let wanted = Path::new(target);
        let mut candidates = Vec::new();
        if wanted.is_absolute() {
            candidates.push(wanted.to_path_buf());
        } else {
            if !from.starts_with('<') {
                if let Some(dir) = Path::new(from).parent() {
                    candidates.push(dir.join(wanted));
                }
            }
            candidates.extend(self.include_paths().iter().map(|d| d.join(wanted)));
            candidates.push(wanted.to_path_buf());
        }
        candidates.dedup();
        match candidates.iter().find(|c| c.is_file()) {
            Some(found) => Ok(found.clone()),
            None => {
                let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
                Err(format!("include: cannot find \"{target}\" (looked for {})", tried.join(", ")))
            }
        }
    }

    /// Runs a top-level `(include target)` written in source `from`: every form of the file in
    /// order; the value of its last form.
    pub(crate) fn include(&mut self, target: &str, from: &str, span: Span) -> Result<Value, Rc<ErrorValue>> {
        let state = self.builtin_state();
        if !state.capabilities.include {
            return Err(include_error("capability denied: include".into(), span));
        }
        let root = state.fs_root.clone();
        let path = self.resolve_include(target, from).map_err(|m| include_error(m, span))?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        if let Some(root) = root {
            let root = root.canonicalize().unwrap_or(root);
            if !canonical.starts_with(&root) {
                let msg = format!(
                    "capability denied: include: {} is outside the root {}",
                    canonical.display(),
                    root.display()
                );
                return Err(include_error(msg, span));
            }
        }
        if let Some(pos) = self.include_stack.iter().position(|(p, _)| *p == canonical) {
            let mut chain: Vec<String> = self.include_stack[pos..].iter().map(|(_, shown)| shown.clone()).collect();
            chain.push(path.display().to_string());
            return Err(include_error(format!("include: circular include: {}", chain.join(" -> ")), span));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| include_error(format!("include: cannot read \"{}\": {e}", path.display()), span))?;
        self.include_stack.push((canonical, path.display().to_string()));
        let mut last: Result<Value, Error> = Ok(Value::Nil);
        self.eval_each(&path.display().to_string(), &text, &mut |_, r| {
            let ok = r.is_ok();
            last = r;
            ok
        });
        self.include_stack.pop();
        last.map_err(|e| match &e.value {
            Value::Error(inner) => inner.clone(),
            _ => include_error(e.message.clone(), span),
        })
    }
}
