//! Compiling Slight files to Rust from a build script (`build.rs`).
//!
//! Add `slight` as both a dependency and a build-dependency, compile the script in `build.rs`:
//!
//! ```no_run
//! // in build.rs's `fn main()`:
//! slight::build::compile("scripts/game.sl"); // writes $OUT_DIR/game.rs
//! ```
//!
//! and include the generated module where you use it:
//!
//! ```ignore
//! mod game {
//!     include!(concat!(env!("OUT_DIR"), "/game.rs"));
//! }
//!
//! fn main() -> Result<(), slight::Error> {
//!     let mut vm = slight::Vm::new();
//!     game::register(&mut vm)?;                  // runs the top-level forms, defines the functions
//!     let n = game::fib(30);                     // a typed `(defun fib:i64 (n:i64) ...)` is native Rust
//!     let s = game::greet(&mut vm, &["you".into()])?; // an untyped defun takes and returns Values
//!     vm.eval("(greet \"from the VM\")")?;       // eval'd code calls the compiled functions
//!     Ok(())
//! }
//! ```
//!
//! The path is relative to the package (`CARGO_MANIFEST_DIR`). The generated file is named
//! after the script (`scripts/game.sl` → `game.rs`). `cargo:rerun-if-changed` is printed for
//! the script and for every file it `include`s. On a Slight error, [`compile`] prints
//! `file:line:col: message` and the rendered diagnostic to stderr and exits the build script
//! with status 1, so the build stops there with the Slight position; [`try_compile`] and
//! [`Build::try_compile`] return the [`CompileError`] instead.
//!
//! [`Build`] chooses the rest: the printer ([`Printer::Pretty`], the default, readable output
//! for `slight expand`-like inspection of `$OUT_DIR`; [`Printer::Fast`], tokens printed without
//! layout, quicker for very large scripts), the output file name, extra `include` directories:
//!
//! ```no_run
//! use slight::build::{Build, Printer};
//! Build::new("scripts/big.sl").printer(Printer::Fast).out_name("big_module").include_dir("lib").compile();
//! ```

use slight_runtime::native::driver::{compile_file, Options, Output};
use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use slight_runtime::native::driver::CompileError;

/// How the generated Rust is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Printer {
    /// `prettyplease`: formatted like `rustfmt` would, one item per line group.
    #[default]
    Pretty,
    /// The token stream printed as is (`a :: b (x , y)`), one line per item. Not faster to
    /// produce than `Pretty`, and no faster for rustc (`benches/build_cost.py` measures both);
    /// a smaller file.
    Fast,
}

/// One Slight script to compile; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Build {
    script: PathBuf,
    printer: Printer,
    out_name: Option<String>,
    out_dir: Option<PathBuf>,
    include_dirs: Vec<PathBuf>,
    cargo_directives: bool,
}

impl Build {
    /// The script at `path`, relative to the package root (`CARGO_MANIFEST_DIR`) unless absolute.
    pub fn new(path: impl AsRef<Path>) -> Build {
        Build {
            script: path.as_ref().to_path_buf(),
            printer: Printer::Pretty,
            out_name: None,
            out_dir: None,
            include_dirs: Vec::new(),
            cargo_directives: true,
        }
    }

    /// The printer for the generated Rust (default [`Printer::Pretty`]).
    pub fn printer(mut self, printer: Printer) -> Build {
        self.printer = printer;
        self
    }

    /// The generated file's name in the output directory (`.rs` is added when missing); the
    /// default is the script's name with `.rs` for `.sl`.
    pub fn out_name(mut self, name: impl Into<String>) -> Build {
        self.out_name = Some(name.into());
        self
    }

    /// Where to write the generated file (default `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Build {
        self.out_dir = Some(dir.into());
        self
    }

    /// A directory searched by `include` after the including file's own directory (relative
    /// to the package root unless absolute). May be given several times.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Build {
        self.include_dirs.push(dir.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default true; turn off outside build
    /// scripts).
    pub fn cargo_directives(mut self, on: bool) -> Build {
        self.cargo_directives = on;
        self
    }

    /// The name of the generated file.
    pub fn file_name(&self) -> String {
        match &self.out_name {
            Some(n) if n.ends_with(".rs") => n.clone(),
            Some(n) => format!("{n}.rs"),
            None => {
                let stem = self.script.file_stem().map(|s| s.to_string_lossy().into_owned());
                format!("{}.rs", stem.unwrap_or_else(|| "slight".into()))
            }
        }
    }

    /// Compiles the script and writes the module; returns the generated file's path.
    pub fn try_compile(&self) -> Result<PathBuf, CompileError> {
        let mut deps = Vec::new();
        let result = self.run(&mut deps);
        if self.cargo_directives {
            for d in &deps {
                println!("cargo:rerun-if-changed={}", d.display());
            }
        }
        result
    }

    /// Compiles and writes; `deps` gets the script and the files it includes (absolute when
    /// `CARGO_MANIFEST_DIR` is set), as far as compiling got.
    fn run(&self, deps: &mut Vec<PathBuf>) -> Result<PathBuf, CompileError> {
        let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let in_package = |p: &Path| match &root {
            Some(r) if p.is_relative() => r.join(p),
            _ => p.to_path_buf(),
        };
        let script = in_package(&self.script);
        deps.push(script.clone());
        let out_dir = match (&self.out_dir, std::env::var_os("OUT_DIR")) {
            (Some(d), _) => in_package(d),
            (None, Some(d)) => PathBuf::from(d),
            (None, None) => {
                return Err(plain_error(&self.script, "OUT_DIR is not set (not running in a build script?)"))
            }
        };
        let opts =
            Options { include_paths: self.include_dirs.iter().map(|d| in_package(d)).collect(), ..Default::default() };
        // Compile under the name the user wrote (errors and the module's spans say
        // `scripts/foo.sl:3:5`; a build script runs in the package root), else the full path.
        let shown = if self.script.is_relative() && root.is_some() && std::env::current_dir().ok() != root {
            script
        } else {
            self.script.clone()
        };
        let output = compile_file(&shown, &opts)?;
        deps.extend(output.files.iter().map(|f| in_package(f)));
        let text = render(&output, self.printer)?;
        let path = out_dir.join(self.file_name());
        let header = format!("// Generated by slight::build from {}. Do not edit.\n", self.script.display());
        std::fs::write(&path, header + &text)
            .map_err(|e| plain_error(&self.script, &format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    /// Like [`Build::try_compile`], but on an error prints it to stderr and exits the process
    /// (the build script) with status 1.
    pub fn compile(&self) -> PathBuf {
        match self.try_compile() {
            Ok(path) => path,
            Err(e) => {
                let _ = std::io::stderr().write_all(report(&e).as_bytes());
                std::process::exit(1)
            }
        }
    }
}

/// Compiles `path` (relative to the package root) to `$OUT_DIR/<name>.rs` with the pretty
/// printer; on a Slight error, prints it and exits the build script with status 1.
pub fn compile(path: impl AsRef<Path>) -> PathBuf {
    Build::new(path).compile()
}

/// Compiles `path` (relative to the package root) to `$OUT_DIR/<name>.rs` with the pretty
/// printer and returns the generated file's path, or the error.
pub fn try_compile(path: impl AsRef<Path>) -> Result<PathBuf, CompileError> {
    Build::new(path).try_compile()
}

/// The Rust text of a compiled module as [`Build`] writes it. [`Printer::Fast`] prints each item
/// on its own line: the same tokens as `Output::fast`, which puts the whole module on one line,
/// a shape rustc compiles several times slower at `opt-level=0` (measured by
/// `benches/build_cost.py`).
pub fn render(output: &Output, printer: Printer) -> Result<String, CompileError> {
    use slight_core::rust_ast::{source, Printer as P};
    let items = output.rust_sexp.as_list().filter(|_| output.rust_sexp.head_sym() == Some("file"));
    match (printer, items) {
        (Printer::Pretty, _) => output.pretty(),
        (Printer::Fast, Some(list)) => {
            let mut text = String::new();
            for item in &list[1..] {
                let line = source(item, P::Fast).map_err(|e| CompileError {
                    message: format!("internal error in the Rust printer: {}", e.message),
                    ..plain_error(Path::new(""), "")
                })?;
                text.push_str(&line);
                text.push('\n');
            }
            Ok(text)
        }
        (Printer::Fast, None) => output.fast(),
    }
}

/// What a failing build script prints: for each error of the program, `file:line:col:
/// message`, then the rendered diagnostic (source line and caret) when there is one.
pub fn report(e: &CompileError) -> String {
    let mut s = String::new();
    for e in e.all() {
        s.push_str(&format!("error: {e}\n"));
        let rendered = e.rendered.trim_end();
        if !rendered.is_empty() && rendered != e.message {
            s.push('\n');
            s.push_str(rendered);
            s.push('\n');
        }
    }
    s
}

fn plain_error(script: &Path, message: &str) -> CompileError {
    CompileError {
        message: message.to_string(),
        file: script.display().to_string(),
        line: 0,
        col: 0,
        start: 0,
        end: 0,
        in_main_file: true,
        rendered: String::new(),
        more: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("slight-build-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn output_file_names() {
        assert_eq!(Build::new("scripts/foo.sl").file_name(), "foo.rs");
        assert_eq!(Build::new("a/b/game.lisp").file_name(), "game.rs");
        assert_eq!(Build::new("x.sl").out_name("gen").file_name(), "gen.rs");
        assert_eq!(Build::new("x.sl").out_name("gen.rs").file_name(), "gen.rs");
    }

    #[test]
    fn writes_the_module_with_either_printer() {
        let dir = scratch("ok");
        let lib = dir.join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("helper.sl"), "(defun helper (x) (* x 2))\n").unwrap();
        let script = dir.join("prog.sl");
        std::fs::write(&script, "(include \"helper.sl\")\n(defun sq:i64 (n:i64) (* n n))\n(print (helper 4))\n")
            .unwrap();
        let b = Build::new(&script).out_dir(&dir).include_dir(&lib).cargo_directives(false);
        let mut deps = Vec::new();
        let pretty = b.run(&mut deps).unwrap();
        assert_eq!(deps, [script.clone(), lib.join("helper.sl")]);
        assert_eq!(pretty, dir.join("prog.rs"));
        let pretty = std::fs::read_to_string(pretty).unwrap();
        assert!(pretty.starts_with("// Generated by slight::build from "), "{pretty}");
        assert!(pretty.contains("pub fn sq(n: i64) -> i64"), "{pretty}");
        assert!(pretty.contains("pub fn helper("), "{pretty}");
        let fast = b.clone().printer(Printer::Fast).out_name("fast").try_compile().unwrap();
        let fast = std::fs::read_to_string(fast).unwrap();
        // One line per item: the module static, `sq`, the functions' code and info, the
        // forms, `run`, `register`, `run_each` and the wrappers.
        assert!((8..pretty.lines().count() / 4).contains(&fast.lines().count()), "{fast}");
        assert!(fast.contains("pub fn sq"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_carry_the_slight_position() {
        let dir = scratch("err");
        let script = dir.join("bad.sl");
        std::fs::write(&script, "(defun ok () 1)\n(defun broken (x)\n  (if))\n").unwrap();
        let e = Build::new(&script).out_dir(&dir).cargo_directives(false).try_compile().unwrap_err();
        assert_eq!(e.file, script.display().to_string());
        assert_eq!(e.line, 3, "{e}");
        assert!(e.in_main_file);
        let text = report(&e);
        let first = text.lines().next().unwrap();
        assert_eq!(first, format!("error: {}:3:{}: {}", script.display(), e.col, e.message));
        assert!(text.contains("3 │   (if)"), "{text}");
        assert!(!dir.join("bad.rs").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_script_and_missing_out_dir() {
        let e = Build::new("/nonexistent/slight/x.sl").out_dir("/tmp").cargo_directives(false).try_compile();
        let e = e.unwrap_err();
        assert!(e.message.starts_with("cannot read /nonexistent/slight/x.sl"), "{e}");
        assert_eq!(report(&e).lines().next().unwrap(), format!("error: {e}"));
        if std::env::var_os("OUT_DIR").is_none() {
            let e = Build::new("x.sl").cargo_directives(false).try_compile().unwrap_err();
            assert!(e.message.contains("OUT_DIR"), "{e}");
        }
    }
}
