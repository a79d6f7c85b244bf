//! The `slight` command: REPL, `run`, `-e`, `disasm` and `expand`.

/// `println!`/`print!` that ignore a closed stdout (`slight expand ... | head`) instead of
/// panicking with a broken pipe.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

use clap::{Parser, Subcommand, ValueEnum};
use slight::runner::run_source;
use slight::Vm;
use slight_core::expander::expand;
use slight_core::{Reader, SourceMap};
use std::path::PathBuf;
use std::process::ExitCode;

mod allocator;
mod repl;

#[global_allocator]
static GLOBAL: allocator::Mimalloc = allocator::Mimalloc;

#[derive(Parser)]
#[command(name = "slight", version, about = "Slight: a Lisp for Rust programs. Without arguments, starts a REPL.")]
struct Cli {
    /// Evaluate an expression and print its result.
    #[arg(short = 'e', long = "eval", value_name = "EXPR")]
    expr: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Slight program.
    Run {
        file: PathBuf,
        /// Print `=> result` after each top-level form and keep going after errors.
        #[arg(long)]
        echo: bool,
        /// Directories searched by `include`.
        #[arg(short = 'I', value_name = "DIR")]
        include: Vec<PathBuf>,
        /// Arguments for the program (`sys/args`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print the bytecode of a program, with its source lines.
    Disasm { file: PathBuf },
    /// Print a pipeline stage of a program.
    Expand {
        #[arg(long, value_enum, default_value = "core")]
        to: Stage,
        file: PathBuf,
    },
    /// Start the interactive REPL (the default).
    Repl,
}

#[derive(Clone, Copy, ValueEnum)]
enum Stage {
    /// The forms as read.
    Sexp,
    /// Core Forms after macro expansion and resolution.
    Core,
    /// The Rust-AST s-expressions of the compiled path.
    RustSexp,
    /// The Rust source of the compiled path (pretty-printed).
    Rust,
    /// The WGSL compute shader of every `defkernel`.
    Wgsl,
}

fn read_file(path: &PathBuf) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        ExitCode::from(2)
    })
}

/// Stack for the thread that runs Slight. The VM keeps Slight calls off the Rust stack, but the
/// reader, expander and compiler recurse over nested forms; a large reserved stack (committed
/// only as used) keeps deeply nested input an error rather than a crash.
const STACK_SIZE: usize = 512 << 20;

fn main() -> ExitCode {
    match std::thread::Builder::new().name("slight".into()).stack_size(STACK_SIZE).spawn(real_main) {
        Ok(handle) => handle.join().unwrap_or(ExitCode::from(70)),
        Err(_) => real_main(),
    }
}

fn real_main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(expr) = cli.expr {
        let mut vm = Vm::new();
        return match vm.eval_named("<-e>", &expr) {
            Ok(v) => {
                outln!("{}", v.repr());
                ExitCode::SUCCESS
            }
            Err(e) => {
                vm.flush();
                eprint!("{}", e.rendered);
                ExitCode::FAILURE
            }
        };
    }
    match cli.command {
        None | Some(Command::Repl) => repl::run(),
        Some(Command::Run { file, echo, include, args: _ }) => {
            let src = match read_file(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let mut vm = Vm::new();
            for dir in include {
                vm.add_include_path(dir);
            }
            let outcome = run_source(&mut vm, &file.display().to_string(), &src, echo);
            vm.flush();
            let mut status = if outcome.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
            for e in outcome.errors.iter().filter(|e| e.kind != "Exit") {
                eprint!("{}", e.rendered);
            }
            // `(sys/exit n)`, in any process, ends the program with status n.
            if let Some(code) = vm.exit_requested() {
                status = ExitCode::from(code.rem_euclid(256) as u8);
            }
            if !outcome.blocked.is_empty() {
                let pids: Vec<String> = outcome.blocked.iter().map(|p| format!("#<pid {p}>")).collect();
                eprintln!(
                    "slight: {} process(es) left waiting in receive for a message no process can send: {}",
                    pids.len(),
                    pids.join(", ")
                );
            }
            status
        }
        Some(Command::Disasm { file }) => {
            let src = match read_file(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            disasm(&file.display().to_string(), &src)
        }
        Some(Command::Expand { to, file }) => {
            let src = match read_file(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            expand_file(to, &file.display().to_string(), &src)
        }
    }
}

/// Compiles each top-level form and prints its bytecode. Definitions are also evaluated (with
/// output discarded) so later forms can use the macros they define.
fn disasm(name: &str, src: &str) -> ExitCode {
    let mut vm = Vm::new();
    let _sink = vm.capture_output();
    let file = vm.sources.add(name, src);
    let text = vm.sources.get(file).expect("added").text.clone();
    let mut reader = Reader::new(&text, file);
    while let Some(form) = reader.next_form() {
        let form = match form {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}:{}:{}: {}", name, e.span.line, e.span.col, e.message);
                return ExitCode::FAILURE;
            }
        };
        match vm.compile_form(&form) {
            Ok(proto) => {
                out!("{}", proto.disassemble(&vm.sources));
                outln!();
                if is_definition(&form) {
                    let _ = vm.eval_form(&form);
                }
            }
            Err(e) => {
                eprint!("{}", vm.to_error(&e).rendered);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The `defkernel` forms in `form`, outermost first.
fn find_kernels<'a>(form: &'a slight_core::Sexp, out: &mut Vec<&'a slight_core::Sexp>) {
    if form.head_sym() == Some("defkernel") {
        out.push(form);
    } else if let Some(items) = form.as_list() {
        for item in items {
            find_kernels(item, out);
        }
    }
}

fn is_definition(form: &slight_core::Sexp) -> bool {
    matches!(form.head_sym(), Some("def" | "defvar" | "defun" | "defmacro"))
}

fn expand_file(stage: Stage, name: &str, src: &str) -> ExitCode {
    if let Stage::Rust | Stage::RustSexp = stage {
        let opts = slight_runtime::native::driver::Options::default();
        let out = match slight_runtime::native::driver::compile(name, src, &opts) {
            Ok(out) => out,
            Err(e) => {
                for e in e.all() {
                    eprint!("{}", e.rendered);
                }
                return ExitCode::FAILURE;
            }
        };
        match stage {
            Stage::RustSexp => outln!("{}", out.rust_sexp),
            _ => match out.pretty() {
                Ok(text) => out!("{text}"),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            },
        }
        return ExitCode::SUCCESS;
    }
    let mut sources = SourceMap::new();
    let file = sources.add(name, src);
    let forms = match Reader::read_all(src, file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}:{}:{}: {}", name, e.span.line, e.span.col, e.message);
            return ExitCode::FAILURE;
        }
    };
    match stage {
        Stage::Sexp => {
            for f in &forms {
                outln!("{f}");
            }
        }
        Stage::Rust | Stage::RustSexp => unreachable!("handled above"),
        Stage::Wgsl => {
            let mut kernels = Vec::new();
            for f in &forms {
                find_kernels(f, &mut kernels);
            }
            for (i, k) in kernels.iter().enumerate() {
                let Some(items) = k.as_list() else { continue };
                match slight_core::kernel::check_kernel(&items[1..], k.span) {
                    Ok(kernel) => {
                        if i > 0 {
                            outln!();
                        }
                        out!("{}", slight_core::kernel::wgsl::to_wgsl(&kernel));
                    }
                    Err(e) => {
                        eprintln!("{}:{}:{}: {}", name, e.span.line, e.span.col, e.message);
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
        Stage::Core => {
            let mut vm = Vm::new();
            let _sink = vm.capture_output();
            for f in &forms {
                match expand(f, &mut vm) {
                    Ok(e) => outln!("{}", slight_core::core::print::to_string(&e)),
                    Err(e) => {
                        eprintln!("{}:{}:{}: {}", name, e.span.line, e.span.col, e.message);
                        return ExitCode::FAILURE;
                    }
                }
                if is_definition(f) {
                    let _ = vm.eval_form(f);
                }
            }
        }
    }
    ExitCode::SUCCESS
}
