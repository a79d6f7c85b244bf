//! The compiled path's driver (feature `codegen`): Slight source → Rust, as used by the
//! `slight!` macros, `slight::build` and `slight expand --to rust`.
//!
//! It runs the same front end as the VM, one top-level form at a time: read → expand (a build
//! VM is the macro host, so `defmacro` bodies run on the VM at build time) → resolve → lower.
//! `include` is resolved at build time: the included file's forms are compiled in place, and
//! the file is reported in [`Output::files`] so the build can depend on it. Typed top-level
//! functions that fit the typed subset become native Rust functions
//! (`lower::lower_typed_fn`); everything else is lowered to code over `Value` by
//! `lower::dynamic`. Untyped known functions whose bodies fit the typed subset when their
//! parameters are integers also get a specialized version, tried first when they are called
//! with integers (`lower::lower_speculative`, `rt::Bail`). Which functions are lowered how is
//! decided by the pure analyses of [`analysis`]; this driver reads, includes, expands, resolves,
//! runs build-time definitions, copies prelude functions, and hands everything to the lowering.
//! Any error is a [`CompileError`] with `file:line:col`.

use crate::front_end::{run_text, Event, Front, Includes};
use crate::vm::{Vm, PRELUDE, PRELUDE_NAME};
use slight_core::core::{ExprKind, FnInfo, VarRef};
use slight_core::expander::{expand, MacroHost};
use slight_core::lower::analysis::{self, collect_assigned, collect_globals, Callee};
use slight_core::lower::dynamic;
use slight_core::resolver::resolve_toplevel;
use slight_core::{Expr, GlobalNames, Reader, Sexp, SlightError, SourceMap, Span};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use slight_core::lower::dynamic::Mode;

/// How to compile.
#[derive(Clone, Debug)]
pub struct Options {
    /// What the output is: a whole program module, the items of a `slight!{}` block, or one
    /// expression.
    pub mode: Mode,
    /// The path generated code uses for the runtime support library (`::slight::__rt`).
    pub rt_path: Vec<String>,
    /// Directories searched by `include` after the including file's own directory.
    pub include_paths: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options { mode: Mode::Program, rt_path: vec!["slight".into(), "__rt".into()], include_paths: Vec::new() }
    }
}

/// The compiled program.
pub struct Output {
    /// The Rust-AST s-expression: a `(file ...)` form, or an expression in [`Mode::Expr`].
    pub rust_sexp: Sexp,
    /// Every file the program included (for `rerun-if-changed`).
    pub files: Vec<PathBuf>,
}

impl Output {
    /// Pretty-printed Rust (prettyplease).
    pub fn pretty(&self) -> Result<String, CompileError> {
        slight_core::rust_ast::source(&self.rust_sexp, slight_core::rust_ast::Printer::Pretty).map_err(|e| internal(&e))
    }

    /// Rust text printed from tokens (fast).
    pub fn fast(&self) -> Result<String, CompileError> {
        slight_core::rust_ast::source(&self.rust_sexp, slight_core::rust_ast::Printer::Fast).map_err(|e| internal(&e))
    }
}

/// A compile error at a Slight source position.
#[derive(Clone, Debug)]
pub struct CompileError {
    /// What went wrong, without the position.
    pub message: String,
    /// The source file name as given to [`compile`] (or the included file's path).
    pub file: String,
    /// 1-based line and column (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
    /// Byte range in that file.
    pub start: u32,
    /// End of the byte range (exclusive).
    pub end: u32,
    /// True when the error is in the file given to [`compile`] (not in an included file).
    pub in_main_file: bool,
    /// The diagnostic rendered with the source line and a caret.
    pub rendered: String,
    /// The errors after this one in the same program, in source order (compilation goes on
    /// after an error in a form, so all of them are reported at once).
    pub more: Vec<CompileError>,
}

impl CompileError {
    /// This error and the ones after it.
    pub fn all(&self) -> impl Iterator<Item = &CompileError> {
        std::iter::once(self).chain(&self.more)
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

impl std::error::Error for CompileError {}

fn internal(e: &SlightError) -> CompileError {
    CompileError {
        message: format!("internal error in the Rust lowering: {}", e.message),
        file: String::new(),
        line: 0,
        col: 0,
        start: 0,
        end: 0,
        in_main_file: true,
        rendered: format!("internal error in the Rust lowering: {}", e.message),
        more: Vec::new(),
    }
}

/// A top-level form, or the start/end of an included file's forms (which run as one form).
enum Entry {
    Form(Expr, FnInfo),
    IncludeStart,
    IncludeEnd,
}

struct Driver {
    vm: Vm,
    names: GlobalNames,
    sources: SourceMap,
    main_file: slight_core::FileId,
    forms: Vec<Entry>,
    files: Vec<PathBuf>,
    includes: Includes,
    /// Every error met while reading, expanding and resolving (compilation goes on after one,
    /// so a `slight!` block reports them all).
    errors: Vec<CompileError>,
    opts: Options,
}

/// Compiles Slight source `src` (named `name` in errors and in the generated module).
pub fn compile(name: &str, src: &str, opts: &Options) -> Result<Output, CompileError> {
    let mut sources = SourceMap::new();
    let main_file = sources.add(name, src);
    let mut d = Driver {
        vm: Vm::new(),
        names: GlobalNames::new(),
        sources,
        main_file,
        forms: Vec::new(),
        files: Vec::new(),
        includes: Includes::new(opts.include_paths.clone()),
        errors: Vec::new(),
        opts: opts.clone(),
    };
    d.read_file(main_file);
    let mut errors = std::mem::take(&mut d.errors).into_iter();
    match errors.next() {
        Some(mut first) => {
            first.more = errors.collect();
            Err(first)
        }
        None => d.lower(),
    }
}

/// Compiles the file at `path` (named as given in errors).
pub fn compile_file(path: &Path, opts: &Options) -> Result<Output, CompileError> {
    let text = std::fs::read_to_string(path).map_err(|e| CompileError {
        message: format!("cannot read {}: {e}", path.display()),
        file: path.display().to_string(),
        line: 0,
        col: 0,
        start: 0,
        end: 0,
        in_main_file: true,
        rendered: format!("error: cannot read {}: {e}", path.display()),
        more: Vec::new(),
    })?;
    let mut opts = opts.clone();
    if let Some(dir) = path.parent() {
        opts.include_paths.insert(0, dir.to_path_buf());
    }
    compile(&path.display().to_string(), &text, &opts)
}

impl Driver {
    fn error(&self, e: &SlightError) -> CompileError {
        let span = e.span;
        let ev = crate::error::ErrorValue::from_front(e);
        let rendered = crate::error::Error::from_value(&std::rc::Rc::new(ev), &self.sources).rendered.clone();
        CompileError {
            message: e.message.clone(),
            file: self.sources.name(span.file).to_string(),
            line: span.line,
            col: span.col,
            start: span.start,
            end: span.end,
            in_main_file: span.file == self.main_file,
            rendered,
            more: Vec::new(),
        }
    }

    /// Reads, includes, expands and resolves every form of `file` through the shared front end,
    /// keeping the forms and every error.
    fn read_file(&mut self, file: slight_core::FileId) {
        let text = self.sources.get(file).expect("registered").text.clone();
        let name = self.sources.name(file).to_string();
        run_text(self, &text, file, &mut |d, event| {
            match event {
                Event::Form(form, Ok((expr, info))) => d.add_form(form, expr, info),
                Event::Form(_, Err(e)) | Event::ReadError(e) => {
                    let e = d.error(&e);
                    d.errors.push(e);
                }
                Event::Include(target, span) => d.include(target, &name, span),
            }
            true
        });
    }

    /// An included file's forms are compiled in place, as one top-level form.
    fn include(&mut self, target: &str, from: &str, span: Span) {
        let opened = match self.includes.open(target, from, None) {
            Ok(opened) => opened,
            Err(message) => {
                let e = self.error(&SlightError::syntax(message, span));
                self.errors.push(e);
                return;
            }
        };
        self.files.push(opened.path);
        let file = self.sources.add(opened.shown, opened.text);
        self.forms.push(Entry::IncludeStart);
        self.read_file(file);
        self.forms.push(Entry::IncludeEnd);
        self.includes.close();
    }

    fn add_form(&mut self, form: &Sexp, expr: Expr, info: FnInfo) {
        // Macros and the functions they may call exist at build time too.
        let defines_function =
            matches!(&expr.kind, ExprKind::Define { value, .. } if matches!(value.kind, ExprKind::Lambda(_)));
        if matches!(expr.kind, ExprKind::DefMacro(..)) || defines_function {
            let _ = self.vm.eval_form(form);
        }
        self.forms.push(Entry::Form(expr, info));
    }

    fn lower(mut self) -> Result<Output, CompileError> {
        if self.opts.mode != Mode::Program {
            self.check_arities()?;
        }
        let (sigs, typed_items) = analysis::typed_functions(&self.exprs().collect::<Vec<_>>(), &self.opts.rt_path);
        let typed_names: HashSet<String> = sigs.keys().cloned().collect();
        let rust_vars = match self.opts.mode {
            Mode::Expr => self.rust_variables(),
            _ => HashSet::new(),
        };
        let prelude = self.prelude_functions()?;
        let mut lw = dynamic::ProgramLowering::new(dynamic::Options {
            mode: self.opts.mode,
            rt: self.opts.rt_path.clone(),
            rust_vars,
            typed: sigs,
        });
        for id in 0..self.sources.len() as u32 {
            if let Some(f) = self.sources.get(id) {
                lw.add_file(id, &f.name, &f.text);
            }
        }
        let exprs: Vec<&Expr> = self.exprs().collect();
        let known = analysis::known_functions(&exprs);
        for (name, nparams) in &known {
            lw.declare_function(name, *nparams);
        }
        for (name, nparams, _, _) in &prelude {
            lw.declare_prelude_function(name, *nparams);
        }
        for (_, _, expr, info) in &prelude {
            lw.add_prelude_form(expr, info).map_err(|e| self.error(&e))?;
        }
        let specialized = match self.opts.mode {
            Mode::Expr => Vec::new(),
            _ => analysis::specialized_functions(&exprs, &self.names, &self.opts.rt_path, &known, &typed_names),
        };
        for (name, item, assumes) in specialized {
            lw.add_specialized(&name, item, assumes);
        }
        for (name, fn_items) in typed_items {
            for item in fn_items {
                lw.add_typed_item(&name, item);
            }
        }
        let forms = std::mem::take(&mut self.forms);
        for entry in &forms {
            match entry {
                Entry::Form(expr, info) => lw.add_form(expr, info).map_err(|e| self.error(&e))?,
                Entry::IncludeStart => lw.begin_group(),
                Entry::IncludeEnd => lw.end_group(),
            }
        }
        let rust_sexp = lw.finish().map_err(|e| self.error(&e))?;
        Ok(Output { rust_sexp, files: self.files })
    }

    /// The VM prelude's functions (`list/map`, `list/filter`, `list/reduce`) that the program
    /// calls and never defines or assigns, and those they call in turn: name, arity and the
    /// definition, read from the prelude's source (then a file of the module, so positions
    /// in it are the VM's), expanded and resolved. The module compiles its own copy of each;
    /// a call runs it while the global still holds the prelude's function.
    fn prelude_functions(&mut self) -> Result<Vec<(String, usize, Expr, FnInfo)>, CompileError> {
        if self.opts.mode == Mode::Expr {
            return Ok(Vec::new());
        }
        let mut defined = HashSet::new();
        let mut wanted = HashSet::new();
        for e in self.exprs() {
            collect_assigned(e, &mut defined);
            if let ExprKind::Define { binding, var: VarRef::Global(_), .. } = &e.kind {
                defined.insert(binding.name.clone());
            }
            collect_globals(e, &mut wanted);
        }
        let defun_name = |form: &Sexp| -> Option<String> {
            let items = form.as_list()?;
            match (items.first()?.as_sym(), items.get(1)?.as_sym()) {
                (Some("defun"), Some(name)) => Some(name.to_string()),
                _ => None,
            }
        };
        let forms = Reader::read_all(PRELUDE, 0).unwrap_or_default();
        let is_wanted = |f: &Sexp, wanted: &HashSet<String>| {
            defun_name(f).is_some_and(|n| wanted.contains(&n) && !defined.contains(&n))
        };
        if !forms.iter().any(|f| is_wanted(f, &wanted)) {
            return Ok(Vec::new());
        }
        let file = self.sources.add(PRELUDE_NAME, PRELUDE);
        let forms = Reader::read_all(PRELUDE, file).map_err(|e| self.error(&e))?;
        let mut out: Vec<(String, usize, Expr, FnInfo)> = Vec::new();
        // Until no definition adds a wanted name (prelude functions may call each other).
        loop {
            let before = out.len();
            for form in &forms {
                let Some(name) = defun_name(form) else { continue };
                if !is_wanted(form, &wanted) || out.iter().any(|(n, ..)| *n == name) {
                    continue;
                }
                let mut expr = expand(form, &mut self.vm).map_err(|e| self.error(&e))?;
                let info = resolve_toplevel(&mut expr, &mut self.names, None).map_err(|e| self.error(&e))?;
                let ExprKind::Define { value, .. } = &expr.kind else { continue };
                let ExprKind::Lambda(l) = &value.kind else { continue };
                if l.rest.is_some() {
                    continue;
                }
                let nparams = l.params.len();
                collect_globals(&expr, &mut wanted);
                out.push((name, nparams, expr, info));
            }
            if out.len() == before {
                return Ok(out);
            }
        }
    }

    /// For `slight!` blocks: a call with an impossible number of arguments is a compile error
    /// ([`analysis::impossible_calls`]), with the message the VM would raise; all of them.
    fn check_arities(&self) -> Result<(), CompileError> {
        let exprs: Vec<&Expr> = self.exprs().collect();
        let message = |callee: Callee, argc: usize| match callee {
            Callee::Defined { name, min, max } => (argc < min || max.is_some_and(|m| argc > m))
                .then(|| crate::vm::arity_error(Some(name), min, max.is_none(), argc).message.clone()),
            Callee::Global(name) => {
                let def = &crate::builtins::BUILTINS[crate::builtins::builtin_id(name)? as usize];
                crate::vm::check_builtin_arity(def, argc).err().map(|e| e.message.clone())
            }
        };
        let mut errors = analysis::impossible_calls(&exprs, &message)
            .into_iter()
            .map(|(span, message)| self.error(&SlightError::new(slight_core::ErrorKind::Arity, message, span)));
        match errors.next() {
            Some(mut first) => {
                first.more = errors.collect();
                Err(first)
            }
            None => Ok(()),
        }
    }

    fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.forms.iter().filter_map(|e| match e {
            Entry::Form(expr, _) => Some(expr),
            _ => None,
        })
    }

    /// In expression mode, the global names the build VM does not know and the block does not
    /// define: Rust variables of the surrounding code.
    fn rust_variables(&self) -> HashSet<String> {
        let mut defined = HashSet::new();
        for e in self.exprs() {
            if let ExprKind::Define { binding, var: VarRef::Global(_), .. } = &e.kind {
                defined.insert(binding.name.clone());
            }
        }
        let mut used = HashSet::new();
        for e in self.exprs() {
            collect_globals(e, &mut used);
        }
        used.into_iter().filter(|n| !defined.contains(n) && self.vm.global(n).is_none()).collect()
    }
}

impl MacroHost for Driver {
    fn is_macro(&self, name: &str) -> bool {
        self.vm.is_macro(name)
    }

    fn expand_macro(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp, SlightError> {
        self.vm.expand_macro(name, args, span)
    }

    fn check_shader(&mut self, wgsl: &str) -> Result<(), String> {
        self.vm.check_shader(wgsl)
    }
}

impl Front for Driver {
    fn global_names(&mut self) -> &mut GlobalNames {
        &mut self.names
    }
}
