; Control flow in kernels: if/when/unless/cond, let and set!, loop/recur with a value, nested
; loops, and short-circuit and/or (the right operand runs only when needed).
(defkernel collatz ((out (array u32)))
  (let ((n (+ (u32 (gpu/id)) 1)))
    (set-at! out (gpu/id)
      (loop ((x n) (steps:u32 0))
        (if (= x 1)
            steps
            (recur (if (= (rem x 2) 0) (/ x 2) (+ (* 3 x) 1)) (+ steps 1)))))))
(def steps (gpu/buffer 10 :u32))
(gpu/run collatz steps :grid 10)
(gpu/read steps)

(defkernel classify ((xs (array i32)) (out (array i32)))
  (let ((x (at xs (gpu/id))) (r 0))
    (cond ((< x 0) (set! r -1))
          ((= x 0) (set! r 0))
          ((< x 10) (set! r 1))
          (else (set! r 2)))
    (when (= x 42) (set! r 42))
    (unless (< x 100) (set! r 100))
    (set-at! out (gpu/id) r)))
(def cls (gpu/buffer 6 :i32))
(gpu/run classify (gpu/array (list -5 0 7 11 42 1000) :i32) cls :grid 6)
(gpu/read cls)

; A triangle of sums with a nested loop: out[i] = sum over j <= i of (sum over k <= j of k).
(defkernel nested ((out (array i32)))
  (let ((i (gpu/id)))
    (set-at! out i
      (loop ((j 0) (total 0))
        (if (> j i)
            total
            (recur (+ j 1)
                   (+ total (loop ((k 0) (s 0)) (if (> k j) s (recur (+ k 1) (+ s k)))))))))))
(def tri (gpu/buffer 6 :i32))
(gpu/run nested tri :grid 6)
(gpu/read tri)

; Short-circuit: the write in the right operand happens only where the left allows it.
(defkernel guarded ((flags (array i32)) (hits (array i32)))
  (let ((i (gpu/id)))
    (when (and (> i 1) (do (set-at! hits i 1) (< i 4)))
      (set-at! flags i 1))
    (when (or (= i 0) (do (set-at! hits i (+ (at hits i) 10)) false))
      (set-at! flags i 2))))
(def flags (gpu/buffer 6 :i32))
(def hits (gpu/buffer 6 :i32))
(gpu/run guarded flags hits :grid 6)
(gpu/read flags)
(gpu/read hits)

; An if with a value inside arithmetic, and a let that shadows.
(defkernel values ((out (array f32)))
  (let ((i (gpu/id))
        (x (f32 i)))
    (set-at! out i (+ 1.0 (if (< i 2) (* x 10.0) (let ((x (- x))) (* x x)))))))
(def vals (gpu/buffer 4 :f32))
(gpu/run values vals :grid 4)
(gpu/read vals)
