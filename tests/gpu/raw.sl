; The low-level API: WGSL source, a pipeline, buffers bound by position, a dispatch, readback.
; Runs only with a GPU adapter (tests/gpu.rs); the CPU fallback runs defkernel kernels only.
(def shader (gpu/shader "
@group(0) @binding(0) var<storage, read_write> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> ys: array<f32>;
@compute @workgroup_size(8)
fn scale(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x < arrayLength(&xs)) {
        ys[id.x] = xs[id.x] * 2.0 + f32(id.x);
    }
}"))
(def pipeline (gpu/pipeline shader "scale"))
pipeline
(def xs (gpu/buffer (list 1 2 3 4 5 6 7 8 9 10) :f32))
(def ys (gpu/buffer 10 :f32))
(gpu/dispatch pipeline (list xs ys) (list 2 1 1))
(gpu/read ys)
; Errors: the device stays usable after each.
(defun msg (thunk) (try (thunk) (catch e (error/message e))))
(msg (fun () (gpu/dispatch pipeline (list xs) (list 1))))
(msg (fun () (gpu/dispatch pipeline (list xs (gpu/buffer 4 :u32) ys) (list 1))))
(msg (fun () (gpu/dispatch pipeline (list xs ys) (list 100000000))))
(msg (fun () (gpu/dispatch shader (list xs ys) (list 1))))
(msg (fun () (gpu/shader "@compute @workgroup_size(1) fn main() { let x = undefined_name; }")))
(gpu/dispatch pipeline (list ys xs) (list 2))
(gpu/read xs)
; A shader without bindings dispatches with an empty buffer list.
(gpu/dispatch (gpu/pipeline (gpu/shader "@compute @workgroup_size(1) fn main() {}") "main") (list) (list 1))
