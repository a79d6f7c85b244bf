//! The GPU examples (`examples/gpu/*.sl`) run through the CLI, in a scratch directory, once on
//! the CPU fallback (`SLIGHT_GPU=cpu`) and once on the wgpu adapter (`SLIGHT_GPU=auto`). Both
//! runs must succeed and print the same output, apart from the `backend:` line each example
//! starts with. Sizes are passed on the command line so that the CPU fallback of a debug build
//! stays fast.
//!
//! Mandelbrot escape counts depend on float rounding, and a GPU compiler may contract or
//! reassociate `x*x - y*y + cx` (lavapipe does), so boundary pixels can take a different number
//! of steps: the two lines with totals must agree within 0.5 %, and any difference is printed.
//!
//! The back end that `auto` picked is read from the example's `backend:` line; when it is the
//! CPU fallback (no adapter), the test prints `SKIPPED GPU comparison: no adapter` and checks the
//! CPU run only, unless `SLIGHT_REQUIRE_GPU=1` (CI), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("slight-gpu-examples-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of an example: the back end it reported and the rest of its stdout.
struct Run {
    backend: String,
    lines: Vec<String>,
}

/// Runs `examples/gpu/<name>.sl args...` with `SLIGHT_GPU=backend` inside `dir`.
fn run(name: &str, backend: &str, dir: &Path, args: &[&str]) -> Run {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gpu").join(format!("{name}.sl"));
    let out = Command::new(env!("CARGO_BIN_EXE_slight"))
        .arg("run")
        .arg(&example)
        .args(args)
        .env("SLIGHT_GPU", backend)
        .current_dir(dir)
        .output()
        .expect("run the slight CLI");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{name}.sl failed with SLIGHT_GPU={backend} ({}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status
    );
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert!(
        !lines.is_empty() && lines[0].starts_with("backend: "),
        "{name}.sl with SLIGHT_GPU={backend} should start with a `backend:` line:\n{stdout}"
    );
    let first = lines.remove(0);
    let backend_name = first["backend: ".len()..].split_whitespace().next().unwrap_or_default().to_string();
    Run { backend: backend_name, lines }
}

/// Whether `auto` ran on a GPU; prints the skip line when it did not.
fn gpu_ran(name: &str, auto: &Run) -> bool {
    if auto.backend != "cpu" {
        return true;
    }
    if std::env::var("SLIGHT_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        panic!("SLIGHT_REQUIRE_GPU=1 but {name}.sl ran on the CPU fallback under SLIGHT_GPU=auto");
    }
    println!("SKIPPED GPU comparison: no adapter ({name}.sl checked on the CPU fallback only)");
    false
}

/// Runs an example on both back ends (each in its own directory): the CPU run, and the GPU run
/// when there is an adapter.
fn both(name: &str, args: &[&str]) -> (Run, Option<Run>, TempDir, TempDir) {
    let cpu_dir = TempDir::new(&format!("{name}-cpu"));
    let auto_dir = TempDir::new(&format!("{name}-auto"));
    let cpu = run(name, "cpu", &cpu_dir.0, args);
    assert_eq!(cpu.backend, "cpu", "SLIGHT_GPU=cpu must run on the CPU fallback");
    let auto = run(name, "auto", &auto_dir.0, args);
    let gpu = gpu_ran(name, &auto).then_some(auto);
    (cpu, gpu, cpu_dir, auto_dir)
}

fn assert_has(run: &Run, what: &str, line: &str) {
    assert!(
        run.lines.iter().any(|l| l.contains(line)),
        "{what}: expected a line with {line:?} in\n{}",
        run.lines.join("\n")
    );
}

fn assert_same(name: &str, cpu: &Run, gpu: &Run) {
    assert_eq!(
        cpu.lines, gpu.lines,
        "{name}.sl prints different results on the CPU fallback (left) and on the GPU {} (right)",
        gpu.backend
    );
}

#[test]
fn saxpy_gives_the_same_result_on_both_back_ends() {
    let (cpu, gpu, _d1, _d2) = both("saxpy", &["100000"]);
    assert_has(&cpu, "saxpy on the CPU", "n = 100000");
    assert_has(&cpu, "saxpy on the CPU", "(ok)");
    if let Some(gpu) = gpu {
        assert_same("saxpy", &cpu, &gpu);
    }
}

#[test]
fn matmul_gives_the_same_result_on_both_back_ends() {
    let (cpu, gpu, _d1, _d2) = both("matmul", &["64"]);
    assert_has(&cpu, "matmul on the CPU", "n = 64");
    assert_has(&cpu, "matmul on the CPU", "all probes match the VM");
    if let Some(gpu) = gpu {
        assert_same("matmul", &cpu, &gpu);
    }
}

/// The number at the end of the line that starts with `prefix`.
fn total(run: &Run, prefix: &str) -> u64 {
    let line = run.lines.iter().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} line"));
    line[prefix.len()..].trim().parse().unwrap_or_else(|_| panic!("not a number: {line:?}"))
}

/// Decodes a PNG: width, height and RGB bytes (checking that it is 8-bit RGB).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane image size")];
    let info = reader.next_frame(&mut buf).expect("PNG image data");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight), "8-bit RGB");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn mandelbrot_writes_the_same_picture_on_both_back_ends() {
    let (width, height) = (160, 120);
    let (cpu, gpu, cpu_dir, auto_dir) = both("mandelbrot", &["mandelbrot.png", "160", "120", "64"]);
    assert_has(&cpu, "mandelbrot on the CPU", "160x120 pixels, at most 64 iterations, written to mandelbrot.png");

    let (w, h, rgb) = decode_png(&cpu_dir.0.join("mandelbrot.png"));
    assert_eq!((w, h), (width, height), "the PNG's size");
    let pixel = |x: usize, y: usize| &rgb[(y * width as usize + x) * 3..][..3];
    // The view is x in [-2.5, 1.0]: (-0.25, 0) is inside the main cardioid, the corner is not.
    let inside = ((-0.25f64 + 2.5) / 3.5 * width as f64) as usize;
    assert_eq!(pixel(inside, height as usize / 2), [0, 0, 0], "a point of the set is black");
    assert_ne!(pixel(0, 0), [0, 0, 0], "a point far outside the set is coloured");

    let Some(gpu) = gpu else { return };
    let (gw, gh, grgb) = decode_png(&auto_dir.0.join("mandelbrot.png"));
    assert_eq!((gw, gh), (width, height), "the GPU run's PNG size");

    // Lines other than the float-dependent totals are identical.
    let totals = ["total iterations =", "pixels in the set ="];
    let fixed = |r: &Run| -> Vec<String> {
        r.lines.iter().filter(|l| !totals.iter().any(|t| l.starts_with(t))).cloned().collect()
    };
    assert_eq!(fixed(&cpu), fixed(&gpu), "mandelbrot.sl: the CPU (left) and GPU (right) outputs differ");
    for t in totals {
        let (c, g) = (total(&cpu, t), total(&gpu, t));
        if c != g {
            println!("NOTE mandelbrot.sl: `{t}` is {c} on the CPU fallback and {g} on the GPU ({})", gpu.backend);
        }
        let diff = c.abs_diff(g) as f64;
        assert!(diff <= 0.005 * c.max(g) as f64, "mandelbrot.sl: `{t}` is {c} on the CPU and {g} on the GPU");
    }
    let differing = rgb.chunks(3).zip(grgb.chunks(3)).filter(|(a, b)| a != b).count();
    if differing > 0 {
        println!(
            "NOTE mandelbrot.sl: {differing} of {} pixels differ between the CPU and GPU pictures",
            width * height
        );
    }
    assert!(differing * 100 <= (width * height) as usize, "{differing} pixels differ between the back ends");
}
