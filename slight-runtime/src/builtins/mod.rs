//! The builtin table: every builtin is defined once and called by id from the VM (and by
//! direct call from compiled code). A builtin gets a [`Host`] — output sink, callbacks into
//! Slight, capabilities, per-VM state — never an environment.
//!
//! Each namespace lives in its own module with a `TABLE` of [`BuiltinDef`]s; [`BUILTINS`]
//! concatenates them once. Argument checks use the `arg_*` helpers so every builtin reports
//! wrong types the same way: `Type error: NAME expects a TYPE as argument N, got ACTUAL`.

/// Defines the builtins of a cargo feature this build lacks: each keeps its place, arity and doc
/// in the table, and a call is an error naming the builtin and the feature, e.g.
/// `gpu/run: this build has no GPU support (feature "gpu")`.
#[allow(unused_macros)] // used only in builds without some feature
macro_rules! feature_off {
    ($feature:literal, $what:literal; $($func:ident => $name:literal),* $(,)?) => {
        $(
            fn $func(
                _: &mut dyn $crate::builtins::Host,
                _: &[$crate::value::Value],
            ) -> Result<$crate::value::Value, $crate::error::ErrorValue> {
                Err($crate::builtins::feature_missing($name, $what, $feature))
            }
        )*
    };
}

mod core;
mod fs;
mod gpu;
mod image;
mod json;
mod list;
mod log;
mod map;
mod math;
pub mod object;
mod process;
mod string;
mod sys;
mod timer;
mod types;

pub use self::core::{apply_args, join_print};
use crate::error::{type_error, ErrorValue};
use crate::value::Value;
use std::path::PathBuf;
use std::sync::LazyLock;

/// Longest string a builtin makes, whatever the limits (bytes): past it a builtin raises a
/// catchable `Error`; below it the `string_len` limit, if set, raises a `LimitError`.
pub const MAX_STRING_BYTES: usize = 100_000_000;
/// Most elements a builtin puts in one list or map, whatever the limits.
pub const MAX_COLLECTION: usize = 100_000_000;

/// Checks a string of `len` bytes (`None`: more than `usize` holds) that builtin `name` is
/// about to make, before it allocates it.
pub(crate) fn check_string(h: &dyn Host, name: &str, len: Option<usize>) -> Result<(), ErrorValue> {
    let len = len.unwrap_or(usize::MAX);
    check_size(h, len, h.limits().string_len, ("string_len", "bytes"), MAX_STRING_BYTES, 1, || {
        format!("{name}: the result would be longer than {MAX_STRING_BYTES} bytes")
    })
}

/// Checks a list or map of `len` elements (`None`: more than `usize` holds) that builtin
/// `name` is about to make. Each element takes a value and, in a list, a cell: about 48 bytes.
pub(crate) fn check_collection(h: &dyn Host, name: &str, len: Option<usize>) -> Result<(), ErrorValue> {
    let len = len.unwrap_or(usize::MAX);
    check_size(h, len, h.limits().collection_len, ("collection_len", "elements"), MAX_COLLECTION, 48, || {
        format!("{name}: too many elements ({len}; at most {MAX_COLLECTION})")
    })
}

/// The shared size check: the embedder's `limit` (a `LimitError` naming it), the hard cap (a
/// catchable `Error`), then the memory the result would take.
fn check_size(
    h: &dyn Host,
    len: usize,
    limit: Option<usize>,
    (limit_name, unit): (&str, &str),
    hard_max: usize,
    bytes_each: usize,
    too_big: impl FnOnce() -> String,
) -> Result<(), ErrorValue> {
    if let Some(max) = limit.filter(|&max| len > max) {
        return Err(ErrorValue::limit(limit_name, format!("{max} {unit}")));
    }
    if len > hard_max {
        return Err(ErrorValue::user(too_big()));
    }
    h.check_memory(len.saturating_mul(bytes_each))
}

/// What a builtin may ask of whoever runs it (the VM, or compiled code's runtime).
pub trait Host {
    /// Writes program output (to stdout, or to the embedder's capture buffer); a `LimitError`
    /// past the `output` limit (nothing is written then).
    fn write_out(&mut self, text: &str) -> Result<(), ErrorValue>;
    /// Writes diagnostics (`warn`), counted like output.
    fn write_err(&mut self, text: &str) -> Result<(), ErrorValue>;
    /// Calls a Slight function value.
    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value, ErrorValue>;
    /// Per-VM builtin state: capabilities, fs root, log settings, counters.
    fn state(&mut self) -> &mut BuiltinState;
    /// The embedder's limits (sizes are checked against them before a builtin allocates).
    fn limits(&self) -> &crate::Limits;
    /// Records `sys/exit`'s status: every process stops (see `Vm::exit_requested`).
    fn request_exit(&mut self, code: i32);
    /// A `LimitError` if `bytes` more would pass the `memory` limit (see `memory.rs`).
    fn check_memory(&self, bytes: usize) -> Result<(), ErrorValue>;
    /// Where the builtin was called from, if known (for errors raised later, e.g. by timers).
    fn call_site(&self) -> Option<slight_core::Span> {
        None
    }
    /// Waits until the current process is runnable again (after a blocking builtin recorded
    /// what it waits for): pauses it (returns the pause marker) where the runner can resume it
    /// at the call, or blocks in place running the other processes.
    fn wait(&mut self) -> Result<(), ErrorValue> {
        Err(ErrorValue::new("Error", "this host cannot run processes"))
    }
    /// True when another process could run now (a builtin waiting for the GPU then yields to
    /// it instead of blocking the thread).
    fn others_ready(&mut self) -> bool {
        false
    }
    /// Lets the other runnable processes run, then comes back (the current process stays
    /// runnable: a paused process is resumed at the call, which is made again).
    fn yield_now(&mut self) -> Result<(), ErrorValue> {
        Ok(())
    }
}

/// The Rust signature of a builtin: the host it runs in and its arguments (their count already
/// checked against the arity).
pub type BuiltinFn = fn(&mut dyn Host, &[Value]) -> Result<Value, ErrorValue>;

/// One builtin: its name, arity, Rust function and the text of its reference entry.
#[derive(Clone)]
pub struct BuiltinDef {
    /// The name Slight code calls it by; names starting with `%` are internal and left out of the
    /// reference.
    pub name: &'static str,
    /// The fewest arguments it accepts.
    pub min_args: usize,
    /// `None`: variadic.
    pub max_args: Option<usize>,
    /// The implementation, called only with an argument count inside `min_args ..= max_args`.
    pub func: BuiltinFn,
    /// What it does, its result and its errors (one or two sentences).
    pub doc: &'static str,
    /// How it is called, e.g. `(list/nth list index)`.
    pub signature: &'static str,
    /// `(call ...) => printed result`, checked by the test suite (`=> ...` only checks that
    /// the call succeeds, for results that vary).
    pub example: &'static str,
}

/// A table entry: name, arity (`max_args: None` for variadic), function, doc, signature, example.
pub const fn def(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    func: BuiltinFn,
    doc: &'static str,
    signature: &'static str,
    example: &'static str,
) -> BuiltinDef {
    BuiltinDef { name, min_args, max_args, func, doc, signature, example }
}

/// What sandboxable builtins a VM may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// May use the file system: the `fs/*` builtins and `image/write-png` (inside `fs_root` when
    /// set).
    pub fs: bool,
    /// May use the `sys/*` builtins (environment, program arguments, working directory, `sys/exit`,
    /// platform and directories).
    pub sys: bool,
    /// May run `(include ...)` to load another source file.
    pub include: bool,
    /// May use the GPU (or its CPU fallback): the `gpu/` builtins that make arrays, buffers,
    /// shaders and pipelines, dispatch, read back, or describe the device. (`defkernel` and
    /// `gpu/wgsl` only compile, and need nothing.)
    pub gpu: bool,
}

impl Capabilities {
    /// Every capability granted (what `Vm::new` uses).
    pub const ALL: Capabilities = Capabilities { fs: true, sys: true, include: true, gpu: true };
    /// No capability granted (what `Vm::sandboxed` uses).
    pub const NONE: Capabilities = Capabilities { fs: false, sys: false, include: false, gpu: false };
}

/// Per-VM state that builtins read and change (through [`Host::state`]).
#[derive(Debug)]
pub struct BuiltinState {
    /// What sandboxable builtins this VM may use.
    pub capabilities: Capabilities,
    /// When set, `fs/*` may only touch paths inside this directory.
    pub fs_root: Option<PathBuf>,
    /// The fs root's directory handle, opened on first use (`fs.rs`).
    pub(crate) fs_root_dir: Option<std::rc::Rc<fs::RootDir>>,
    /// Whether `log/*` prints at all (`log/enable`, `log/disable`); on by default.
    pub log_enabled: bool,
    /// Lowest level printed by `log/*`: 0 debug, 1 info, 2 warn, 3 error.
    pub log_level: u8,
    /// The number of symbols `gensym` has made so far (the suffix of the last one).
    pub gensym_counter: u64,
    /// Pending `timer/timeout` and `timer/interval` callbacks.
    pub timers: Vec<Timer>,
    /// The id given to the most recently created timer (0 before the first; ids start at 1).
    pub next_timer_id: u64,
    /// The processes (§7).
    pub sched: crate::process::Scheduler,
}

/// A pending timer callback.
#[derive(Clone, Debug)]
pub struct Timer {
    /// The id `timer/timeout` and `timer/interval` return, for `timer/clear`.
    pub id: u64,
    /// When the callback is next due (moved forward by `every` after each run of an interval).
    pub due: std::time::Instant,
    /// Set for intervals: the period.
    pub every: Option<std::time::Duration>,
    /// The callback, called with no arguments.
    pub f: Value,
    /// Where the timer was created (the position of errors its callback raises).
    pub origin: Option<slight_core::Span>,
}

impl BuiltinState {
    /// Fresh state with the given capabilities: logging on at level info, no fs root, no timers,
    /// only the main process.
    pub fn new(capabilities: Capabilities) -> Self {
        BuiltinState {
            capabilities,
            fs_root: None,
            fs_root_dir: None,
            log_enabled: true,
            log_level: 1,
            gensym_counter: 0,
            timers: Vec::new(),
            next_timer_id: 0,
            sched: crate::process::Scheduler::default(),
        }
    }
}

/// The error of a builtin whose cargo feature this build lacks (see `feature_off!`).
#[allow(dead_code)] // used only in builds without some feature
pub(crate) fn feature_missing(name: &str, what: &str, feature: &str) -> ErrorValue {
    ErrorValue::new("FeatureError", format!("{name}: this build has no {what} (feature \"{feature}\")"))
}

/// Index of `apply` in [`BUILTINS`]: the VM performs it as a call (no Rust recursion).
pub const APPLY: u32 = 0;

/// Every builtin, in id order.
pub static BUILTINS: LazyLock<Vec<BuiltinDef>> = LazyLock::new(|| {
    let tables: &[&[BuiltinDef]] = &[
        core::TABLE,
        list::TABLE,
        string::TABLE,
        map::TABLE,
        math::TABLE,
        types::TABLE,
        json::TABLE,
        log::TABLE,
        timer::TABLE,
        fs::TABLE,
        sys::TABLE,
        object::TABLE,
        process::TABLE,
        gpu::TABLE,
        image::TABLE,
    ];
    tables.iter().flat_map(|t| t.iter()).map(BuiltinDef::clone).collect()
});

/// Builtins written in Slight (`prelude.sl`): name, signature, doc, example.
pub const PRELUDE_DOCS: &[(&str, &str, &str, &str)] = &[
    (
        "list/map",
        "(list/map f list)",
        "A new list of (f x) for each element, in order.",
        "(list/map (fun (x) (* x x)) (list 1 2 3)) => (1 4 9)",
    ),
    (
        "list/filter",
        "(list/filter pred list)",
        "The elements for which (pred x) is true, in order.",
        "(list/filter (fun (x) (> x 1)) (list 1 2 3)) => (2 3)",
    ),
    (
        "list/reduce",
        "(list/reduce f init list)",
        "Folds from the left, calling (f acc x); init for ().",
        "(list/reduce + 0 (list 1 2 3)) => 6",
    ),
];

/// One entry of the builtin reference.
pub struct DocEntry {
    /// The builtin's name.
    pub name: &'static str,
    /// How it is called, e.g. `(list/nth list index)`.
    pub signature: &'static str,
    /// The accepted argument count as text: `2`, `1–3` (a range) or `1+` (variadic).
    pub arity: String,
    /// What it does, its result and its errors.
    pub doc: &'static str,
    /// A call and its printed result, as in [`BuiltinDef::example`].
    pub example: &'static str,
}

/// Every documented builtin (the table, then the prelude), sorted by name.
pub fn doc_entries() -> Vec<DocEntry> {
    let arity = |min: usize, max: Option<usize>| match max {
        Some(m) if m == min => format!("{min}"),
        Some(m) => format!("{min}–{m}"),
        None => format!("{min}+"),
    };
    let mut out: Vec<DocEntry> = BUILTINS
        .iter()
        .filter(|b| !b.name.starts_with('%'))
        .map(|b| DocEntry {
            name: b.name,
            signature: b.signature,
            arity: arity(b.min_args, b.max_args),
            doc: b.doc,
            example: b.example,
        })
        .collect();
    for &(name, signature, doc, example) in PRELUDE_DOCS {
        let params = signature.split_whitespace().count() - 1;
        out.push(DocEntry { name, signature, arity: format!("{params}"), doc, example });
    }
    out.sort_by(|a, b| namespace(a.name).cmp(namespace(b.name)).then(a.name.cmp(b.name)));
    out
}

fn namespace(name: &str) -> &str {
    match name.split_once('/') {
        Some((ns, rest)) if !ns.is_empty() && !rest.is_empty() => ns,
        _ => "",
    }
}

/// The builtin reference as Markdown (`docs/BUILTINS.md` is this text; a test keeps it so).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Builtin reference\n\nGenerated from the builtin table (`slight-runtime/src/builtins/`) by \
         `SLIGHT_BLESS=1 cargo test -p slight-runtime --test builtin_docs`; the same test fails when this \
         file and the table disagree, and runs every example.\n",
    );
    let mut current = None;
    for e in doc_entries() {
        let ns = namespace(e.name);
        if current != Some(ns) {
            current = Some(ns);
            let title = if ns.is_empty() { "core".to_string() } else { format!("{ns}/") };
            out.push_str(&format!(
                "\n## {title}\n\n| builtin | arguments | what it does | example |\n|---|---|---|---|\n"
            ));
        }
        let cell = |t: &str| t.replace('|', "\\|");
        out.push_str(&format!("| `{}` | {} | {} | `{}` |\n", cell(e.signature), e.arity, cell(e.doc), cell(e.example)));
    }
    out
}

/// Id of `method/call`, which the VM performs as a call like `apply`.
pub static METHOD_CALL: LazyLock<u32> =
    LazyLock::new(|| builtin_id("method/call").expect("method/call is in the table"));

/// Looks a builtin up by name.
pub fn builtin_id(name: &str) -> Option<u32> {
    BUILTINS.iter().position(|b| b.name == name).map(|i| i as u32)
}

/// Checks that argument `pos` (1-based) of builtin `name` is a list (or nil).
pub fn expect_list<'a>(name: &str, pos: usize, v: &'a Value) -> Result<&'a Value, ErrorValue> {
    match v {
        Value::List(_) | Value::Nil => Ok(v),
        other => wrong_type(name, pos, "list", other),
    }
}

/// The standard wrong-argument-type error.
pub fn wrong_type<T>(name: &str, pos: usize, expected: &str, got: &Value) -> Result<T, ErrorValue> {
    type_error(format!(
        "Type error: {name} expects {} {expected} as argument {pos}, got {}",
        article(expected),
        got.type_name()
    ))
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Argument `pos` (1-based) as an integer.
pub fn arg_int(name: &str, args: &[Value], pos: usize) -> Result<i64, ErrorValue> {
    match &args[pos - 1] {
        Value::Int(i) => Ok(*i),
        other => wrong_type(name, pos, "integer", other),
    }
}

/// Argument `pos` (1-based) as a number (integers widen to floats).
pub fn arg_num(name: &str, args: &[Value], pos: usize) -> Result<f64, ErrorValue> {
    match &args[pos - 1] {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        other => wrong_type(name, pos, "number", other),
    }
}

/// Argument `pos` (1-based) as a string.
pub fn arg_str<'a>(name: &str, args: &'a [Value], pos: usize) -> Result<&'a str, ErrorValue> {
    match &args[pos - 1] {
        Value::Str(s) => Ok(s.as_str()),
        other => wrong_type(name, pos, "string", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_apply_is_first() {
        let mut seen = std::collections::HashSet::new();
        for b in BUILTINS.iter() {
            assert!(seen.insert(b.name), "duplicate builtin {}", b.name);
            assert!(b.max_args.is_none_or(|m| m >= b.min_args), "{}: max < min", b.name);
        }
        assert_eq!(BUILTINS[APPLY as usize].name, "apply");
    }

    #[test]
    fn wrong_type_message_names_builtin_position_and_types() {
        let e = arg_str("string/upper", &[Value::Int(1)], 1).unwrap_err();
        assert_eq!(e.message, "Type error: string/upper expects a string as argument 1, got NUMBER");
        let e = arg_int("list/nth", &[Value::EMPTY, Value::Float(1.5)], 2).unwrap_err();
        assert_eq!(e.message, "Type error: list/nth expects an integer as argument 2, got NUMBER");
    }
}
