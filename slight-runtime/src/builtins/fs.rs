//! `fs/` builtins: reading, writing and managing files and directories.
//!
//! Every builtin first checks the `fs` capability (`capability denied: fs`, type
//! `CapabilityError`). When the VM has an fs root ([`super::BuiltinState::fs_root`]), every path
//! is first resolved — joined to the current directory when relative, `.` and `..` applied, and
//! every symbolic link that exists along the way followed, the way the OS would — and must lie
//! inside the (equally resolved) root, else `capability denied: fs: path /x escapes the root /r`.
//! The operation then uses the resolved path. (Another process changing links between the
//! check and the operation is not defended against.) `fs/delete!` and `fs/move!` act on a link
//! itself, not its target, so only the link's directory must be inside. Without a root, paths go
//! to the OS as given (relative to the current directory).
//!
//! I/O failures are `IOError`s naming the builtin as called, the path as given and the OS's
//! reason (without Rust's `(os error N)` suffix):
//! `fs/read: cannot read "notes.txt": No such file or directory`.

use super::{arg_str, def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub const TABLE: &[BuiltinDef] = &[
    def(
        "fs/read",
        1,
        Some(1),
        |h, a| b_read(h, a, "fs/read"),
        "The whole file as a string. IOError if it cannot be read or is not valid UTF-8.",
        "(fs/read path)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"hi\") (fs/read p)) => \"hi\"",
    ),
    def(
        "fs/write",
        2,
        Some(2),
        |h, a| b_write(h, a, "fs/write"),
        "Writes the string to the file, creating or truncating it; true. The content must be a string; IOError on failure.",
        "(fs/write path content)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"hi\")) => true",
    ),
    def(
        "fs/write!",
        2,
        Some(2),
        |h, a| b_write(h, a, "fs/write!"),
        "Same as fs/write (compat).",
        "(fs/write! path content)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write! p \"hi\")) => true",
    ),
    def(
        "fs/append",
        2,
        Some(2),
        |h, a| b_append(h, a, "fs/append"),
        "Appends the string to the file, creating it if missing; true. IOError on failure.",
        "(fs/append path content)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"a\") (fs/append p \"b\") (fs/read p)) => \"ab\"",
    ),
    def(
        "fs/append!",
        2,
        Some(2),
        |h, a| b_append(h, a, "fs/append!"),
        "Same as fs/append (compat).",
        "(fs/append! path content)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"a\") (fs/append! p \"b\")) => true",
    ),
    def(
        "fs/exists?",
        1,
        Some(1),
        |h, a| b_exists(h, a, "fs/exists?"),
        "True when something exists at the path (a symbolic link counts by its target); never an IOError.",
        "(fs/exists? path)",
        "(fs/exists? (sys/tmpdir)) => true",
    ),
    def(
        "fs/delete!",
        1,
        Some(1),
        |h, a| b_delete(h, a, "fs/delete!"),
        "Deletes a file, a symbolic link (not its target) or a directory with everything in it; true. IOError if nothing is there.",
        "(fs/delete! path)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"\") (fs/delete! p)) => true",
    ),
    def(
        "fs/resolve",
        1,
        Some(1),
        |h, a| b_resolve(h, a, "fs/resolve"),
        "The absolute path: joined to the current directory, `.` and `..` applied, symbolic links followed; the path need not exist.",
        "(fs/resolve path)",
        "(fs/resolve \"/a/./b/../c\") => \"/a/c\"",
    ),
    def(
        "fs/mkdir!",
        1,
        Some(1),
        |h, a| b_mkdir(h, a, "fs/mkdir!"),
        "Creates the directory and any missing parents; true (also when it already exists). IOError on failure.",
        "(fs/mkdir! path)",
        "(fs/mkdir! (string/concat (sys/tmpdir) \"/slight-doc-dir/sub\")) => true",
    ),
    def(
        "fs/readdir",
        1,
        Some(1),
        |h, a| b_readdir(h, a, "fs/readdir"),
        "The names of the directory's entries (not . and ..), sorted. IOError if it is not a readable directory.",
        "(fs/readdir path)",
        "(let ((d (string/concat (sys/tmpdir) \"/slight-doc-dir\"))) (fs/mkdir! (string/concat d \"/sub\")) (fs/readdir d)) => (\"sub\")",
    ),
    def(
        "fs/stat",
        1,
        Some(1),
        |h, a| b_stat(h, a, "fs/stat"),
        "A map {:size bytes :dir? bool :file? bool :modified unix-seconds-float} (links followed; :modified nil if unknown). IOError if missing.",
        "(fs/stat path)",
        "(fs/stat (sys/tmpdir)) => ...",
    ),
    def(
        "fs/copy!",
        2,
        Some(2),
        |h, a| b_copy(h, a, "fs/copy!"),
        "Copies a file to the destination path, replacing it if present; true. IOError on failure, for a directory, or when both are the same file.",
        "(fs/copy! from to)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"x\") (fs/copy! p (string/concat p \".copy\"))) => true",
    ),
    def(
        "fs/move!",
        2,
        Some(2),
        |h, a| b_move(h, a, "fs/move!"),
        "Renames or moves a file or directory, replacing a destination file; true. Across filesystems files are copied then deleted. IOError on failure.",
        "(fs/move! from to)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (fs/write p \"x\") (fs/move! p (string/concat p \".moved\"))) => true",
    ),
    def(
        "read-file",
        1,
        Some(1),
        |h, a| b_read(h, a, "read-file"),
        "Same as fs/read (compat).",
        "(read-file path)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (write-file! p \"hi\") (read-file p)) => \"hi\"",
    ),
    def(
        "write-file!",
        2,
        Some(2),
        |h, a| b_write(h, a, "write-file!"),
        "Same as fs/write (compat).",
        "(write-file! path content)",
        "(let ((p (string/concat (sys/tmpdir) \"/slight-doc.txt\"))) (write-file! p \"hi\")) => true",
    ),
    def(
        "file-exists?",
        1,
        Some(1),
        |h, a| b_exists(h, a, "file-exists?"),
        "Same as fs/exists? (compat).",
        "(file-exists? path)",
        "(file-exists? (string/concat (sys/tmpdir) \"/slight-doc-no-such-file\")) => false",
    ),
];

// ---- capability, confinement, errors ----

/// `capability denied: fs` unless the VM may use the file system.
fn check_capability(h: &mut dyn Host) -> Result<(), ErrorValue> {
    if h.state().capabilities.fs {
        Ok(())
    } else {
        Err(ErrorValue::new("CapabilityError", "capability denied: fs"))
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

fn io_error(name: &str, verb: &str, path: &str, e: &std::io::Error) -> ErrorValue {
    ErrorValue::new("IOError", format!("{name}: cannot {verb} {path:?}: {}", reason(e)))
}

/// Resolves `path` like the OS would: relative to the current directory, `.` skipped, `..`
/// going up, and every symbolic link that exists along the way replaced by its target. Unlike
/// `canonicalize`, the path need not exist (the missing tail is kept as written). With
/// `follow_last` false, a link in the last component is kept as is (for operations on the link
/// itself, such as deleting or renaming it).
fn resolve_path(path: &Path, follow_last: bool) -> std::io::Result<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut current = PathBuf::new();
    // Components still to apply, last one first (so `pop` yields the next one).
    let mut pending: Vec<OsString> = Vec::new();
    split_into(&absolute, &mut current, &mut pending);
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == "." {
            continue;
        }
        if part == ".." {
            current.pop();
            continue;
        }
        current.push(&part);
        if !follow_last && pending.is_empty() {
            break;
        }
        let Ok(meta) = std::fs::symlink_metadata(&current) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            links += 1;
            if links > 40 {
                return Err(std::io::Error::other("too many levels of symbolic links"));
            }
            let target = std::fs::read_link(&current)?;
            current.pop();
            if target.is_absolute() {
                current = PathBuf::new();
            }
            split_into(&target, &mut current, &mut pending);
        }
    }
    Ok(current)
}

/// Puts the root (and prefix) of `path` into `current` when it has one, and pushes its other
/// components onto `pending` so that they are applied in order before what was pending.
fn split_into(path: &Path, current: &mut PathBuf, pending: &mut Vec<OsString>) {
    let mut rest = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => current.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => rest.push(OsString::from("..")),
            Component::Normal(n) => rest.push(n.to_os_string()),
        }
    }
    pending.extend(rest.into_iter().rev());
}

/// The path an fs builtin works on: checked against the root when there is one.
fn confined(h: &mut dyn Host, name: &str, verb: &str, path: &str, follow_last: bool) -> Result<PathBuf, ErrorValue> {
    if path.is_empty() {
        return Err(ErrorValue::new("IOError", format!("{name}: cannot {verb} \"\": empty path")));
    }
    let Some(root) = h.state().fs_root.clone() else {
        return Ok(PathBuf::from(path));
    };
    let root = resolve_path(&root, true).map_err(|e| {
        ErrorValue::new("IOError", format!("{name}: cannot resolve the fs root {}: {}", root.display(), reason(&e)))
    })?;
    let resolved = resolve_path(Path::new(path), follow_last).map_err(|e| io_error(name, verb, path, &e))?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(ErrorValue::new(
            "CapabilityError",
            format!("capability denied: fs: path {} escapes the root {}", resolved.display(), root.display()),
        ))
    }
}

/// Capability check, then argument `pos` as a confined path.
pub(crate) fn path_arg(
    h: &mut dyn Host,
    name: &str,
    verb: &str,
    args: &[Value],
    pos: usize,
    follow_last: bool,
) -> Result<(String, PathBuf), ErrorValue> {
    check_capability(h)?;
    let given = arg_str(name, args, pos)?.to_string();
    let path = confined(h, name, verb, &given, follow_last)?;
    Ok((given, path))
}

// ---- the builtins ----

fn b_read(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "read", a, 1, true)?;
    std::fs::read_to_string(&path).map(Value::str).map_err(|e| io_error(name, "read", &given, &e))
}

fn b_write(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "write", a, 1, true)?;
    let content = arg_str(name, a, 2)?;
    std::fs::write(&path, content).map_err(|e| io_error(name, "write", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_append(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "append to", a, 1, true)?;
    let content = arg_str(name, a, 2)?;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(content.as_bytes()))
        .map_err(|e| io_error(name, "append to", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_exists(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    // A path that cannot be resolved (an empty path, a loop of links) does not exist; an
    // escape from the root is still denied.
    match path_arg(h, name, "check", a, 1, true) {
        Ok((_, path)) => Ok(Value::Bool(std::fs::metadata(&path).is_ok())),
        Err(e) if e.etype == "IOError" => Ok(Value::Bool(false)),
        Err(e) => Err(e),
    }
}

fn b_delete(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "delete", a, 1, false)?;
    let result = std::fs::symlink_metadata(&path).and_then(|m| {
        if m.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        }
    });
    result.map_err(|e| io_error(name, "delete", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_resolve(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, _) = path_arg(h, name, "resolve", a, 1, true)?;
    let resolved = resolve_path(Path::new(&given), true).map_err(|e| io_error(name, "resolve", &given, &e))?;
    Ok(Value::str(resolved.to_string_lossy().into_owned()))
}

fn b_mkdir(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "create directory", a, 1, true)?;
    std::fs::create_dir_all(&path).map_err(|e| io_error(name, "create directory", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_readdir(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "read directory", a, 1, true)?;
    let err = |e: std::io::Error| io_error(name, "read directory", &given, &e);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&path).map_err(err)? {
        names.push(entry.map_err(err)?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(Value::list_from(names.into_iter().map(Value::str).collect::<Vec<_>>()))
}

fn b_stat(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, path) = path_arg(h, name, "stat", a, 1, true)?;
    let meta = std::fs::metadata(&path).map_err(|e| io_error(name, "stat", &given, &e))?;
    let modified = meta
        .modified()
        .ok()
        .map(|t| match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(before) => -before.duration().as_secs_f64(),
        })
        .map_or(Value::Nil, Value::Float);
    // Sizes beyond i64 cannot occur on real file systems; saturate rather than wrap.
    let size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
    Ok(Value::map_from(vec![
        (Value::keyword("size"), Value::Int(size)),
        (Value::keyword("dir?"), Value::Bool(meta.is_dir())),
        (Value::keyword("file?"), Value::Bool(meta.is_file())),
        (Value::keyword("modified"), modified),
    ]))
}

fn b_copy(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (from_given, from) = path_arg(h, name, "copy", a, 1, true)?;
    let (to_given, to) = path_arg(h, name, "copy to", a, 2, true)?;
    let result = match std::fs::metadata(&from) {
        Ok(m) if m.is_dir() => Err(std::io::Error::other("Is a directory (only files are copied)")),
        // Copying a file onto itself would truncate it.
        Ok(_) if same_file(&from, &to) => Err(std::io::Error::other("source and destination are the same file")),
        _ => std::fs::copy(&from, &to),
    };
    result.map_err(|e| {
        ErrorValue::new("IOError", format!("{name}: cannot copy {from_given:?} to {to_given:?}: {}", reason(&e)))
    })?;
    Ok(Value::Bool(true))
}

/// Whether both paths name the same existing file (through links, hard links included on Unix).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

fn b_move(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (from_given, from) = path_arg(h, name, "move", a, 1, false)?;
    let (to_given, to) = path_arg(h, name, "move to", a, 2, false)?;
    let result = match std::fs::rename(&from, &to) {
        Err(e)
            if e.kind() == std::io::ErrorKind::CrossesDevices
                && std::fs::metadata(&from).is_ok_and(|m| m.is_file()) =>
        {
            std::fs::copy(&from, &to).and_then(|_| std::fs::remove_file(&from))
        }
        other => other,
    };
    result.map_err(|e| {
        ErrorValue::new("IOError", format!("{name}: cannot move {from_given:?} to {to_given:?}: {}", reason(&e)))
    })?;
    Ok(Value::Bool(true))
}
