//! The GPU on every back end: every program of `tests/lang/gpu` runs through the CLI on the CPU
//! fallback (`SLIGHT_GPU=cpu`), on the adapter `SLIGHT_GPU=auto` picks, and on an OpenGL adapter
//! (`SLIGHT_GPU=gl`) when the machine has one, and each must print the committed `.out`
//! exactly. Raw-WGSL programs (`tests/gpu/*.sl`) need an adapter and run only on it.
//!
//! Without an adapter the GPU half prints a visible `SKIPPED` line. CI sets
//! `SLIGHT_REQUIRE_GPU=1` (see `.ci/run`, which installs Mesa's lavapipe): there a missing
//! adapter fails the test instead, so the GPU path really runs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn slight(backend: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slight"))
        .args(args)
        .env("SLIGHT_GPU", backend)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the slight CLI")
}

/// The back end `SLIGHT_GPU=wanted` gives on this machine ("cpu" without such an adapter).
fn backend(wanted: &str) -> String {
    let dir = std::env::temp_dir().join(format!("slight-gpu-info-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("info.sl");
    std::fs::write(&prog, "(print (map/get (gpu/info) :backend))").unwrap();
    let out = slight(wanted, &["run", prog.to_str().unwrap()]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Whether an OpenGL adapter runs too (its integer division and remainder differ from WGSL's
/// unless the generated code spells them out); prints the skip line when there is none.
fn gl_available() -> bool {
    if backend("gl") == "gl" {
        return true;
    }
    println!("SKIPPED OpenGL back end: no OpenGL adapter on this machine");
    false
}

/// Whether the GPU half runs; prints the skip line when it does not.
fn gpu_available() -> bool {
    let backend = backend("auto");
    if backend != "cpu" && !backend.is_empty() {
        return true;
    }
    if std::env::var("SLIGHT_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        panic!("SLIGHT_REQUIRE_GPU=1 but no wgpu adapter was found (is mesa-vulkan-drivers installed?)");
    }
    println!("SKIPPED GPU back end: no wgpu adapter on this machine (the CPU fallback was still tested)");
    false
}

fn programs(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sl"))
        .collect();
    v.sort();
    v
}

/// Runs `prog` with `--echo` on `backend`; a description of the mismatch with `.out`, if any.
fn check(prog: &Path, backend: &str) -> Option<String> {
    let rel = prog.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_str().unwrap().to_string();
    let expected = std::fs::read_to_string(prog.with_extension("out")).unwrap_or_default();
    let out = slight(backend, &["run", "--echo", &rel]);
    let got = String::from_utf8_lossy(&out.stdout);
    if got != expected {
        return Some(format!("{rel} on {backend}:\n--- expected\n{expected}--- got\n{got}"));
    }
    None
}

#[test]
fn kernels_give_the_same_output_on_the_cpu_fallback_and_the_gpu() {
    let gpu = gpu_available();
    let gl = gl_available();
    let mut failures = Vec::new();
    let progs = programs("tests/lang/gpu");
    assert!(progs.len() >= 6, "the GPU programs are missing");
    for p in &progs {
        failures.extend(check(p, "cpu"));
        if gpu {
            failures.extend(check(p, "auto"));
        }
        if gl {
            failures.extend(check(p, "gl"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let mut on = vec!["the CPU fallback"];
    on.extend(gpu.then_some("the GPU"));
    on.extend(gl.then_some("OpenGL"));
    println!("{} GPU programs on {}", progs.len(), on.join(", "));
}

#[test]
fn raw_wgsl_programs_run_on_the_gpu() {
    if !gpu_available() {
        return;
    }
    let mut failures = Vec::new();
    for p in programs("tests/gpu").into_iter().filter(|p| p.with_extension("out").exists()) {
        failures.extend(check(&p, "auto"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn raw_wgsl_dispatch_on_the_cpu_fallback_is_a_clear_error() {
    let out = slight("cpu", &["run", "--echo", "tests/gpu/raw.sl"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("raw WGSL shaders need a GPU adapter"), "{text}");
}

#[test]
fn the_backend_can_be_forced() {
    let dir = std::env::temp_dir().join(format!("slight-gpu-force-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("force.sl");
    std::fs::write(
        &prog,
        "(defkernel inc ((xs (array i32))) (set-at! xs (gpu/id) (+ 1 (at xs (gpu/id)))))\n\
         (def a (gpu/array (list 1 2 3) :i32))\n(gpu/run inc a :grid 3)\n\
         (print (map/get (gpu/info) :backend) (gpu/to-list a))",
    )
    .unwrap();
    let prog = prog.to_str().unwrap();
    let run = |backend: &str| {
        let out = slight(backend, &["run", prog]);
        (String::from_utf8_lossy(&out.stdout).trim().to_string(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    assert_eq!(run("cpu").0, "cpu (2 3 4)");
    let (out, err) = run("nonsense");
    assert!(err.contains("SLIGHT_GPU=nonsense is not one of auto, vulkan, gl, cpu"), "{out}\n{err}");
    if gpu_available() {
        let auto = run("auto").0;
        assert!(auto.ends_with("(2 3 4)") && !auto.starts_with("cpu"), "{auto}");
        let (vk, err) = run("vulkan");
        // A forced back end either runs there or fails clearly; it never silently falls back.
        assert!(vk == "vulkan (2 3 4)" || err.contains("SLIGHT_GPU=vulkan"), "{vk}\n{err}");
    }
}

#[test]
fn expand_prints_the_generated_wgsl() {
    let out = slight("cpu", &["expand", "--to", "wgsl", "tests/lang/gpu/control.sl"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("// Generated by Slight from (defkernel collatz ...)."), "{text}");
    assert!(text.contains("@compute @workgroup_size(64)"), "{text}");
    assert_eq!(text.matches("fn main(").count(), 5, "one shader per kernel:\n{text}");
}

#[test]
fn without_an_adapter_kernels_fall_back_to_the_cpu_and_say_so_once() {
    // Hide every Vulkan driver and GL library from wgpu.
    let out = Command::new(env!("CARGO_BIN_EXE_slight"))
        .args(["run", "tests/lang/gpu/control.sl"])
        .env("SLIGHT_GPU", "auto")
        .env("VK_ICD_FILENAMES", "/nonexistent")
        .env("VK_DRIVER_FILES", "/nonexistent")
        .env("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("GPU kernels run on the CPU fallback").count(), 1, "{err}");
}

/// Distance in units in the last place between two finite `f32`s.
fn ulps(a: f32, b: f32) -> u64 {
    let key = |x: f32| {
        let b = x.to_bits() as i64;
        if b & 0x8000_0000 != 0 {
            -(b & 0x7fff_ffff)
        } else {
            b
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

/// The float bound docs/GPU.md states: arithmetic, `sqrt`, rounding, `mod`/`rem` and
/// conversions are exact; transcendental functions are within 8 ULP (or 1e-6 absolute, for
/// results near zero) of the CPU fallback.
#[test]
fn float_results_agree_within_the_stated_ulp_bound() {
    if !gpu_available() {
        return;
    }
    let run = |backend: &str| -> Vec<f32> {
        let out = slight(backend, &["run", "tests/gpu/ulp/ops.sl"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().parse::<f32>().unwrap()).collect()
    };
    let (gpu, cpu) = (run("auto"), run("cpu"));
    assert_eq!(gpu.len(), 4096 * 16);
    let names = [
        "+",
        "-",
        "*",
        "/",
        "sqrt",
        "(+ (* x y) x)",
        "mod",
        "rem",
        "sin",
        "cos",
        "tan",
        "exp",
        "log",
        "pow",
        "floor",
        "i32",
    ];
    let exact = |op: usize| !(8..=13).contains(&op);
    let mut worst = vec![0u64; 16];
    let mut failures = Vec::new();
    for (i, (&g, &c)) in gpu.iter().zip(&cpu).enumerate() {
        let op = i % 16;
        if g.is_nan() && c.is_nan() {
            continue;
        }
        let d = ulps(g, c);
        worst[op] = worst[op].max(d);
        let ok = if exact(op) { d == 0 } else { d <= 8 || (g - c).abs() <= 1e-6 };
        if !ok && failures.len() < 10 {
            failures.push(format!("{} of input {}: gpu {g:e}, cpu {c:e} ({d} ulp)", names[op], i / 16));
        }
    }
    let report: Vec<String> = names.iter().zip(&worst).map(|(n, w)| format!("{n}: {w}")).collect();
    println!("worst ULP distance GPU vs CPU: {}", report.join(", "));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
