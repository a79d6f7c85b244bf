//! `sys/` builtins: environment variables, program arguments, the current directory, platform
//! facts, and `sys/exit`. All of them need the `sys` capability (`capability denied: sys`,
//! type `CapabilityError`).
//!
//! `sys/exit` does not end the OS process: the VM may be embedded. It records the status
//! (`Vm::exit_requested`) and raises an error of type `Exit` (message `exit CODE`) that `try`
//! cannot catch (`finally` blocks run); every other process stops at its next check too.
//! Whoever runs the VM (the CLI, an embedder) decides what to do: the CLI exits with CODE.
//!
//! `sys/args` reads the process's arguments (`std::env::args`) and returns those after the
//! first one ending in `.sl` (the script, as in `slight run prog.sl a b`), or `()` when there is
//! none; once the CLI passes program arguments explicitly this should come from the VM instead.
//! `sys/chdir!` changes the directory of the whole process. `sys/platform` and `sys/arch` use
//! Rust's names (`"linux"`, `"macos"`, `"windows"`; `"x86_64"`, `"aarch64"`), not Node's.

use super::{arg_int, arg_str, def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "sys/env",
        1,
        Some(2),
        |h, a| b_env(h, a, "sys/env"),
        "The environment variable's value (a string), else the default (nil if none). A name that cannot exist (empty, with = or NUL) gives the default.",
        "(sys/env name [default])",
        "(sys/env \"SLIGHT_SURELY_UNSET_VARIABLE\" \"none\") => \"none\"",
    ),
    def(
        "get-env",
        1,
        Some(2),
        |h, a| b_env(h, a, "get-env"),
        "Same as sys/env (compat).",
        "(get-env name [default])",
        "(get-env \"SLIGHT_SURELY_UNSET_VARIABLE\") => nil",
    ),
    def(
        "sys/exit",
        0,
        Some(1),
        b_exit,
        "Ends the program at once with status CODE (default 0, an integer in the 32-bit range): raises an Exit error (message `exit CODE`) that try cannot catch (finally blocks run), in whatever process it is called, and every other process stops too. The CLI exits with CODE; an embedder reads it with Vm::exit_requested.",
        "(sys/exit [code])",
        "(try (sys/exit 1.5) (catch e (error/type e))) => \"TypeError\"",
    ),
    def(
        "sys/args",
        0,
        Some(0),
        b_args,
        "The program's arguments as a list of strings: the process arguments after the first one ending in .sl (the script); () when there is none.",
        "(sys/args)",
        "(sys/args) => ...",
    ),
    def(
        "sys/cwd",
        0,
        Some(0),
        b_cwd,
        "The current directory as an absolute path string. IOError if it cannot be determined.",
        "(sys/cwd)",
        "(sys/cwd) => ...",
    ),
    def(
        "sys/chdir!",
        1,
        Some(1),
        b_chdir,
        "Changes the current directory of the whole process (every VM and thread); true. IOError on failure.",
        "(sys/chdir! path)",
        "(sys/chdir! \".\") => true",
    ),
    def(
        "sys/platform",
        0,
        Some(0),
        b_platform,
        "The operating system, as Rust names it: \"linux\", \"macos\", \"windows\", \"freebsd\", ….",
        "(sys/platform)",
        "(sys/platform) => ...",
    ),
    def(
        "sys/arch",
        0,
        Some(0),
        b_arch,
        "The CPU architecture, as Rust names it: \"x86_64\", \"aarch64\", ….",
        "(sys/arch)",
        "(sys/arch) => ...",
    ),
    def(
        "sys/homedir",
        0,
        Some(0),
        b_homedir,
        "The user's home directory (HOME, or the platform's equivalent), nil if unknown.",
        "(sys/homedir)",
        "(sys/homedir) => ...",
    ),
    def(
        "sys/tmpdir",
        0,
        Some(0),
        b_tmpdir,
        "The directory for temporary files (TMPDIR, else the platform's default such as /tmp).",
        "(sys/tmpdir)",
        "(type/of (sys/tmpdir)) => \"STRING\"",
    ),
];

/// `capability denied: sys` unless the VM may use the system.
fn check_capability(h: &mut dyn Host) -> Result<(), ErrorValue> {
    if h.state().capabilities.sys {
        Ok(())
    } else {
        Err(ErrorValue::new("CapabilityError", "capability denied: sys"))
    }
}

/// The OS's reason without Rust's ` (os error N)` suffix.
fn reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

fn path_string(p: std::path::PathBuf) -> Value {
    Value::str(p.to_string_lossy().into_owned())
}

fn b_env(h: &mut dyn Host, a: &[Value], builtin: &str) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    let name = arg_str(builtin, a, 1)?;
    let default = a.get(1).cloned().unwrap_or(Value::Nil);
    if name.is_empty() || name.contains(['=', '\0']) {
        return Ok(default);
    }
    Ok(match std::env::var_os(name) {
        Some(v) => Value::str(v.to_string_lossy().into_owned()),
        None => default,
    })
}

fn b_exit(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    let code = if a.is_empty() { 0 } else { arg_int("sys/exit", a, 1)? };
    let Ok(code) = i32::try_from(code) else {
        return Err(ErrorValue::new("Error", format!("sys/exit: code {code} is outside the 32-bit range")));
    };
    h.request_exit(code);
    Err(crate::limits::exit_error(code))
}

fn b_args(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let after: Vec<Value> = match args.iter().skip(1).position(|a| a.ends_with(".sl")) {
        Some(i) => args[i + 2..].iter().map(|s| Value::str(s.clone())).collect(),
        None => Vec::new(),
    };
    Ok(Value::list_from(after))
}

fn b_cwd(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    std::env::current_dir()
        .map(path_string)
        .map_err(|e| ErrorValue::new("IOError", format!("sys/cwd: cannot read the current directory: {}", reason(&e))))
}

fn b_chdir(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    let path = arg_str("sys/chdir!", a, 1)?;
    let result = if path.is_empty() {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, "empty path"))
    } else {
        std::env::set_current_dir(path)
    };
    result.map_err(|e| ErrorValue::new("IOError", format!("sys/chdir!: cannot change to {path:?}: {}", reason(&e))))?;
    Ok(Value::Bool(true))
}

fn b_platform(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    Ok(Value::str(std::env::consts::OS))
}

fn b_arch(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    Ok(Value::str(std::env::consts::ARCH))
}

fn b_homedir(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    Ok(std::env::home_dir().filter(|p| !p.as_os_str().is_empty()).map_or(Value::Nil, path_string))
}

fn b_tmpdir(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    check_capability(h)?;
    Ok(path_string(std::env::temp_dir()))
}
