//! `fs/` builtins: reading, writing and managing files and directories.
//!
//! Every builtin first checks the `fs` capability (`capability denied: fs`, type
//! `CapabilityError`). Without an fs root, paths go to the OS as given (relative to the current
//! directory). With one ([`super::BuiltinState::fs_root`]), every operation goes through a
//! directory handle of the root (cap-std, [`Target`]): relative paths are relative to the root,
//! an absolute path must name a place inside it, and `..` or a symbolic link that would leave
//! it is refused when the file is opened — there is no separate check that a concurrent change
//! could race. The root itself cannot be deleted or moved. Errors show only the path as the
//! script gave it, never where a link leads.
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
use std::rc::Rc;

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
/// `canonicalize`, the path need not exist (the missing tail is kept as written). Used by
/// `fs/resolve` without an fs root.
fn resolve_path(path: &Path) -> std::io::Result<PathBuf> {
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

/// An opened fs root: the directory handle every confined operation goes through, and the
/// root's path as the host gave it and as it resolves (to accept absolute paths inside it).
#[derive(Debug)]
pub struct RootDir {
    dir: cap_std::fs::Dir,
    given: PathBuf,
    canonical: PathBuf,
}

/// Where an fs builtin acts: anywhere (no fs root: the path goes to the OS as given), or
/// relative to the root's directory handle. cap-std opens every component beneath the handle
/// and refuses `..` and symbolic links that would leave it *at open time*, so swapping a
/// directory for a link between a check and the use cannot escape (there is no separate check).
pub(crate) enum Target {
    Ambient(PathBuf),
    Rooted { root: Rc<RootDir>, rel: PathBuf },
}

impl Target {
    /// The path relative to the root (`.` for the root itself).
    fn rel(rel: &Path) -> &Path {
        if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        }
    }

    /// Creates (or truncates) a file for writing (`image/write-png`).
    #[cfg_attr(not(feature = "image"), allow(dead_code))]
    pub(crate) fn create(&self) -> std::io::Result<std::fs::File> {
        match self {
            Target::Ambient(p) => std::fs::File::create(p),
            Target::Rooted { root, rel } => root.dir.create(Target::rel(rel)).map(|f| f.into_std()),
        }
    }

    fn read_to_string(&self) -> std::io::Result<String> {
        match self {
            Target::Ambient(p) => std::fs::read_to_string(p),
            Target::Rooted { root, rel } => root.dir.read_to_string(Target::rel(rel)),
        }
    }

    fn write(&self, content: &str) -> std::io::Result<()> {
        match self {
            Target::Ambient(p) => std::fs::write(p, content),
            Target::Rooted { root, rel } => root.dir.write(Target::rel(rel), content),
        }
    }

    fn append(&self, content: &str) -> std::io::Result<()> {
        let mut file = match self {
            Target::Ambient(p) => std::fs::OpenOptions::new().append(true).create(true).open(p)?,
            Target::Rooted { root, rel } => {
                let mut options = cap_std::fs::OpenOptions::new();
                options.append(true).create(true);
                root.dir.open_with(Target::rel(rel), &options)?.into_std()
            }
        };
        file.write_all(content.as_bytes())
    }

    /// Following links: size, kind, modification time (seconds since the epoch).
    fn stat(&self) -> std::io::Result<(u64, bool, bool, Option<std::time::SystemTime>)> {
        match self {
            Target::Ambient(p) => std::fs::metadata(p).map(|m| (m.len(), m.is_dir(), m.is_file(), m.modified().ok())),
            Target::Rooted { root, rel } => root
                .dir
                .metadata(Target::rel(rel))
                .map(|m| (m.len(), m.is_dir(), m.is_file(), m.modified().ok().map(|t| t.into_std()))),
        }
    }

    /// Whether the path itself (not a link's target) is a directory.
    fn is_dir_no_follow(&self) -> std::io::Result<bool> {
        match self {
            Target::Ambient(p) => std::fs::symlink_metadata(p).map(|m| m.is_dir()),
            Target::Rooted { root, rel } => root.dir.symlink_metadata(Target::rel(rel)).map(|m| m.is_dir()),
        }
    }

    fn delete(&self) -> std::io::Result<()> {
        let dir = self.is_dir_no_follow()?;
        match (self, dir) {
            (Target::Ambient(p), true) => std::fs::remove_dir_all(p),
            (Target::Ambient(p), false) => std::fs::remove_file(p),
            (Target::Rooted { root, rel }, true) => root.dir.remove_dir_all(Target::rel(rel)),
            (Target::Rooted { root, rel }, false) => root.dir.remove_file(Target::rel(rel)),
        }
    }

    fn mkdir(&self) -> std::io::Result<()> {
        match self {
            Target::Ambient(p) => std::fs::create_dir_all(p),
            Target::Rooted { root, rel } => root.dir.create_dir_all(Target::rel(rel)),
        }
    }

    fn read_dir(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        match self {
            Target::Ambient(p) => {
                for entry in std::fs::read_dir(p)? {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
            }
            Target::Rooted { root, rel } => {
                for entry in root.dir.read_dir(Target::rel(rel))? {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// The file's identity (device and inode on Unix), to refuse copying a file onto itself.
    fn identity(&self) -> Option<(u64, u64)> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match self {
                Target::Ambient(p) => std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino())),
                Target::Rooted { root, rel } => {
                    use cap_std::fs::MetadataExt as _;
                    root.dir.metadata(Target::rel(rel)).ok().map(|m| (m.dev(), m.ino()))
                }
            }
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    fn copy_to(&self, to: &Target) -> std::io::Result<u64> {
        match (self, to) {
            (Target::Ambient(a), Target::Ambient(b)) => std::fs::copy(a, b),
            (Target::Rooted { root, rel }, Target::Rooted { rel: to, .. }) => {
                root.dir.copy(Target::rel(rel), &root.dir, Target::rel(to))
            }
            _ => Err(std::io::Error::other("mixed targets")),
        }
    }

    fn rename_to(&self, to: &Target) -> std::io::Result<()> {
        match (self, to) {
            (Target::Ambient(a), Target::Ambient(b)) => match std::fs::rename(a, b) {
                Err(e)
                    if e.kind() == std::io::ErrorKind::CrossesDevices
                        && std::fs::metadata(a).is_ok_and(|m| m.is_file()) =>
                {
                    std::fs::copy(a, b).and_then(|_| std::fs::remove_file(a))
                }
                other => other,
            },
            (Target::Rooted { root, rel }, Target::Rooted { rel: to, .. }) => {
                root.dir.rename(Target::rel(rel), &root.dir, Target::rel(to))
            }
            _ => Err(std::io::Error::other("mixed targets")),
        }
    }

    /// True for the fs root itself (as far as the path's text says: `.`, `a/..`), which may not
    /// be deleted or renamed.
    fn is_root(&self) -> bool {
        let Target::Rooted { rel, .. } = self else { return false };
        lexical(rel).is_none_or(|p| p.as_os_str().is_empty())
    }
}

/// `rel` with `.` dropped and `..` applied to the text (no links followed); `None` if it climbs
/// above its start.
fn lexical(rel: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The fs root's handle, opened on first use (and again if the host changes the root).
fn root_dir(h: &mut dyn Host, name: &str) -> Result<Option<Rc<RootDir>>, ErrorValue> {
    let state = h.state();
    let Some(root) = state.fs_root.clone() else { return Ok(None) };
    if let Some(open) = state.fs_root_dir.as_ref().filter(|d| d.given == root) {
        return Ok(Some(open.clone()));
    }
    let opened = cap_std::fs::Dir::open_ambient_dir(&root, cap_std::ambient_authority())
        .and_then(|dir| Ok(RootDir { canonical: std::fs::canonicalize(&root)?, dir, given: root.clone() }))
        .map_err(|e| ErrorValue::new("IOError", format!("{name}: the fs root cannot be opened: {}", reason(&e))))?;
    let opened = Rc::new(opened);
    state.fs_root_dir = Some(opened.clone());
    Ok(Some(opened))
}

fn escapes(name: &str, given: &str) -> ErrorValue {
    ErrorValue::new("CapabilityError", format!("capability denied: fs: {name}: \"{given}\" is outside the fs root"))
}

/// True for cap-std's refusal of a path that would leave the root.
fn is_escape(e: &std::io::Error) -> bool {
    e.to_string().contains("outside of the filesystem")
}

/// The error of a failed operation on `given`: an escape is a `CapabilityError`, anything else
/// an `IOError`. Only the path as the script gave it is shown, never where links lead.
fn fs_error(name: &str, verb: &str, given: &str, e: &std::io::Error) -> ErrorValue {
    if is_escape(e) {
        escapes(name, given)
    } else {
        io_error(name, verb, given, e)
    }
}

/// Where an fs builtin acts for the path `given`: with an fs root, relative to it (an absolute
/// path must name a place inside the root; it is made relative to it).
fn target(h: &mut dyn Host, name: &str, verb: &str, given: &str) -> Result<Target, ErrorValue> {
    if given.is_empty() {
        return Err(ErrorValue::new("IOError", format!("{name}: cannot {verb} \"\": empty path")));
    }
    let Some(root) = root_dir(h, name)? else {
        return Ok(Target::Ambient(PathBuf::from(given)));
    };
    let path = Path::new(given);
    let rel = if path.is_absolute() {
        match path.strip_prefix(&root.given).or_else(|_| path.strip_prefix(&root.canonical)) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => return Err(escapes(name, given)),
        }
    } else {
        path.to_path_buf()
    };
    Ok(Target::Rooted { root, rel })
}

/// Capability check, then argument `pos` as the path given and where it acts.
pub(crate) fn path_arg(
    h: &mut dyn Host,
    name: &str,
    verb: &str,
    args: &[Value],
    pos: usize,
) -> Result<(String, Target), ErrorValue> {
    check_capability(h)?;
    let given = arg_str(name, args, pos)?.to_string();
    let target = target(h, name, verb, &given)?;
    Ok((given, target))
}

// ---- the builtins ----

fn b_read(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "read", a, 1)?;
    t.read_to_string().map(Value::str).map_err(|e| fs_error(name, "read", &given, &e))
}

fn b_write(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "write", a, 1)?;
    let content = arg_str(name, a, 2)?;
    t.write(content).map_err(|e| fs_error(name, "write", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_append(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "append to", a, 1)?;
    let content = arg_str(name, a, 2)?;
    t.append(content).map_err(|e| fs_error(name, "append to", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_exists(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    // A path that cannot be looked at (empty, a loop of links) does not exist; an escape from
    // the root is still denied.
    let (given, t) = match path_arg(h, name, "check", a, 1) {
        Ok(x) => x,
        Err(e) if e.etype == "IOError" => return Ok(Value::Bool(false)),
        Err(e) => return Err(e),
    };
    match t.stat() {
        Ok(_) => Ok(Value::Bool(true)),
        Err(e) if is_escape(&e) => Err(escapes(name, &given)),
        Err(_) => Ok(Value::Bool(false)),
    }
}

fn b_delete(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "delete", a, 1)?;
    if t.is_root() {
        return Err(ErrorValue::new(
            "CapabilityError",
            format!("capability denied: fs: {name}: {given:?} is the fs root"),
        ));
    }
    t.delete().map_err(|e| fs_error(name, "delete", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_resolve(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "resolve", a, 1)?;
    let resolved = match &t {
        Target::Ambient(p) => resolve_path(p).map_err(|e| io_error(name, "resolve", &given, &e))?,
        // Inside a root: the root's path and the path beneath it, links resolved by the handle
        // (a path that does not exist yet is kept as written).
        Target::Rooted { root, rel } => match root.dir.canonicalize(Target::rel(rel)) {
            Ok(inner) => root.canonical.join(inner),
            Err(e) if is_escape(&e) => return Err(escapes(name, &given)),
            Err(_) => match lexical(rel) {
                Some(inner) => root.canonical.join(inner),
                None => return Err(escapes(name, &given)),
            },
        },
    };
    Ok(Value::str(resolved.to_string_lossy().into_owned()))
}

fn b_mkdir(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "create directory", a, 1)?;
    t.mkdir().map_err(|e| fs_error(name, "create directory", &given, &e))?;
    Ok(Value::Bool(true))
}

fn b_readdir(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "read directory", a, 1)?;
    let names = t.read_dir().map_err(|e| fs_error(name, "read directory", &given, &e))?;
    Ok(Value::list_from(names.into_iter().map(Value::str).collect::<Vec<_>>()))
}

fn b_stat(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (given, t) = path_arg(h, name, "stat", a, 1)?;
    let (len, is_dir, is_file, modified) = t.stat().map_err(|e| fs_error(name, "stat", &given, &e))?;
    let modified = modified
        .map(|t| match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(before) => -before.duration().as_secs_f64(),
        })
        .map_or(Value::Nil, Value::Float);
    // Sizes beyond i64 cannot occur on real file systems; saturate rather than wrap.
    let size = i64::try_from(len).unwrap_or(i64::MAX);
    Ok(Value::map_from(vec![
        (Value::keyword("size"), Value::Int(size)),
        (Value::keyword("dir?"), Value::Bool(is_dir)),
        (Value::keyword("file?"), Value::Bool(is_file)),
        (Value::keyword("modified"), modified),
    ]))
}

fn b_copy(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (from_given, from) = path_arg(h, name, "copy", a, 1)?;
    let (to_given, to) = path_arg(h, name, "copy to", a, 2)?;
    let failed = |e: std::io::Error| {
        if is_escape(&e) {
            escapes(name, &format!("{from_given}\" or \"{to_given}"))
        } else {
            ErrorValue::new("IOError", format!("{name}: cannot copy {from_given:?} to {to_given:?}: {}", reason(&e)))
        }
    };
    match from.stat() {
        Ok((_, true, _, _)) => return Err(failed(std::io::Error::other("Is a directory (only files are copied)"))),
        // Copying a file onto itself would truncate it.
        Ok(_) if from.identity().is_some() && from.identity() == to.identity() => {
            return Err(failed(std::io::Error::other("source and destination are the same file")))
        }
        _ => {}
    }
    from.copy_to(&to).map_err(failed)?;
    Ok(Value::Bool(true))
}

fn b_move(h: &mut dyn Host, a: &[Value], name: &str) -> Result<Value, ErrorValue> {
    let (from_given, from) = path_arg(h, name, "move", a, 1)?;
    let (to_given, to) = path_arg(h, name, "move to", a, 2)?;
    if from.is_root() || to.is_root() {
        return Err(ErrorValue::new(
            "CapabilityError",
            format!("capability denied: fs: {name}: the fs root cannot be moved"),
        ));
    }
    from.rename_to(&to).map_err(|e| {
        if is_escape(&e) {
            escapes(name, &format!("{from_given}\" or \"{to_given}"))
        } else {
            ErrorValue::new("IOError", format!("{name}: cannot move {from_given:?} to {to_given:?}: {}", reason(&e)))
        }
    })?;
    Ok(Value::Bool(true))
}
