//! The front end both execution paths share: a text is read one top-level form at a time, and
//! each form is either an `(include "path")`, whose file goes through the same loop in its
//! place, or is expanded (macros run as they are met) and resolved. [`run_text`] is that loop;
//! what happens to each resolved form is up to its caller: the VM compiles and runs it at once
//! (`Vm::eval_each`), the compiled path's driver keeps it for the lowering.
//!
//! Includes ([`Includes`]) resolve in this order: the including file's directory, then the
//! include paths (`-I` on the CLI, `Vm::add_include_path`, the driver's options), then the
//! current directory. Only `.sl` files are included, and only from those directories (the fs
//! root instead of the current directory when the VM has one), whatever other capabilities
//! the VM has; a file that is already being included is a circular-include error naming the
//! chain; at most [`MAX_INCLUDE_DEPTH`] includes nest. (The `include` capability is the VM's
//! own check.)

use crate::native::own_stack::front_end_room;
use slight_core::core::FnInfo;
use slight_core::expander::{expand, MacroHost};
use slight_core::resolver::resolve_toplevel;
use slight_core::{Expr, FileId, GlobalNames, Reader, Sexp, SexpKind, SlightError, Span};
use std::path::{Path, PathBuf};

/// Most nested includes.
pub const MAX_INCLUDE_DEPTH: usize = 64;

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

/// What the front end needs from whoever runs it: the macro host (for expansion) and the
/// table of global names (for resolution).
pub(crate) trait Front: MacroHost {
    /// The global names forms are resolved against.
    fn global_names(&mut self) -> &mut GlobalNames;
}

/// Expands and resolves one top-level form. Fails with `stack overflow` when the current
/// process stack has no room for the front end (it recurses over the form).
pub(crate) fn expand_resolve<F: Front>(front: &mut F, form: &Sexp) -> Result<(Expr, FnInfo), SlightError> {
    front_end_room()
        .map_err(|e| SlightError::new(slight_core::ErrorKind::StackOverflow, e.message.clone(), form.span))?;
    let mut expr = expand(form, front)?;
    let info = resolve_toplevel(&mut expr, front.global_names(), None)?;
    Ok((expr, info))
}

/// What [`run_text`] meets in a text, in order. (The VM uses the resolved form only; the
/// compiled-path driver, feature `codegen`, also keeps the read form.)
#[cfg_attr(not(feature = "codegen"), allow(dead_code))]
pub(crate) enum Event<'a> {
    /// A form, expanded and resolved (or the error doing so).
    Form(&'a Sexp, Result<(Expr, FnInfo), SlightError>),
    /// An `(include target)` form at `span`.
    Include(&'a str, Span),
    /// A read error: the rest of the text cannot be trusted, so the loop stops after it.
    ReadError(SlightError),
}

/// Reads `text` (registered as `file`) one form at a time; expands and resolves each with
/// `front`, and hands it to `on` with `front` itself, until the text ends, a read error, or
/// `on` returns false.
pub(crate) fn run_text<F: Front>(front: &mut F, text: &str, file: FileId, on: &mut dyn FnMut(&mut F, Event) -> bool) {
    let mut reader = Reader::new(text, file);
    while let Some(form) = reader.next_form() {
        let go_on = match form {
            Err(e) => {
                on(front, Event::ReadError(e));
                return;
            }
            Ok(form) => match include_target(&form) {
                Some(target) => on(front, Event::Include(target, form.span)),
                None => {
                    let resolved = expand_resolve(front, &form);
                    on(front, Event::Form(&form, resolved))
                }
            },
        };
        if !go_on {
            return;
        }
    }
}

/// The include search paths and the files being included.
#[derive(Debug, Default)]
pub(crate) struct Includes {
    /// Directories searched after the including file's own.
    pub paths: Vec<PathBuf>,
    /// The files being included, innermost last: canonical path and the path as shown.
    stack: Vec<(PathBuf, String)>,
}

/// A file an include opened: its path as shown in messages, and its text.
#[cfg_attr(not(feature = "codegen"), allow(dead_code))]
pub(crate) struct Opened {
    pub shown: String,
    pub path: PathBuf,
    pub text: String,
}

impl Includes {
    /// Includes searched in `paths` (after the including file's directory).
    #[cfg_attr(not(feature = "codegen"), allow(dead_code))]
    pub fn new(paths: Vec<PathBuf>) -> Includes {
        Includes { paths, stack: Vec::new() }
    }

    /// Finds the file `(include target)` means, written in the source named `from`.
    fn resolve(&self, target: &str, from: &str) -> Result<PathBuf, String> {
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
            candidates.extend(self.paths.iter().map(|d| d.join(wanted)));
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

    /// Opens the file of `(include target)` written in `from`: found, inside `root` if there is
    /// one, not already being included, not nested too deeply, and read. [`Includes::close`]
    /// must follow once its forms are done.
    pub fn open(&mut self, target: &str, from: &str, root: Option<&Path>) -> Result<Opened, String> {
        // Only Slight source is included: whatever else a script names (`/etc/passwd`) is
        // never read, so its contents cannot come back in an error message.
        if Path::new(target).extension().is_none_or(|e| e != "sl") {
            return Err(format!("include: {target:?} is not Slight source (only .sl files are included)"));
        }
        let path = self.resolve(target, from)?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        if !self.allowed(from, root).iter().any(|dir| canonical.starts_with(dir)) {
            return Err(format!("capability denied: include: {target:?} is outside the include directories"));
        }
        if let Some(pos) = self.stack.iter().position(|(p, _)| *p == canonical) {
            let mut chain: Vec<String> = self.stack[pos..].iter().map(|(_, shown)| shown.clone()).collect();
            chain.push(path.display().to_string());
            return Err(format!("include: circular include: {}", chain.join(" -> ")));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(format!("include: more than {MAX_INCLUDE_DEPTH} nested includes"));
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("include: cannot read \"{}\": {e}", path.display()))?;
        let shown = path.display().to_string();
        self.stack.push((canonical, shown.clone()));
        Ok(Opened { shown, path, text })
    }

    /// The directories an include may come from: the including file's, the include paths, and
    /// the fs root when there is one, else the current directory. Other capabilities (`fs`)
    /// do not widen it.
    fn allowed(&self, from: &str, root: Option<&Path>) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.paths.clone();
        if !from.starts_with('<') {
            if let Some(dir) = Path::new(from).parent() {
                dirs.push(if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir.to_path_buf() });
            }
        }
        match root {
            Some(root) => dirs.push(root.to_path_buf()),
            None => dirs.push(PathBuf::from(".")),
        }
        dirs.iter().filter_map(|d| d.canonicalize().ok()).collect()
    }

    /// Closes the innermost open include.
    pub fn close(&mut self) {
        self.stack.pop();
    }
}
