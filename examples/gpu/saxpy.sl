;; SAXPY (y := a*x + y) on a million elements with kernels written in Slight.
;;
;; Shows: `defkernel`, arrays made on the device (`gpu/buffer`) and filled by a kernel,
;; `gpu/run ... :grid n`, a reduction done in two steps (a kernel sums chunks, Slight sums the
;; chunks), gathering a few elements without reading the whole array back, and that the CPU
;; fallback gives exactly the same answer as the GPU.
;;
;; Run it:
;;   cargo run --release -- run examples/gpu/saxpy.sl                   (a GPU if there is one)
;;   SLIGHT_GPU=cpu cargo run --release -- run examples/gpu/saxpy.sl    (the CPU fallback)
;;   cargo run --release -- run examples/gpu/saxpy.sl 5000              (another size)
;;
;; Every value is a small integer held in an f32, so every sum and product is exact and the
;; output is identical on every back end (only the `backend:` line differs).

(def args (sys/args))
(def n (if (empty? args) 1000000 (json/parse (head args))))   ; number of elements
(def a 3)                                                       ; the scalar of a*x + y
(def chunk 1024)                                                ; elements summed per invocation

(def info (gpu/info))
(print "backend:" (map/get info :backend) "-" (map/get info :adapter))

;; x[i] = i mod 1000, y[i] = i mod 7: computed on the device, nothing is uploaded.
(defkernel init ((xs (array f32)) (ys (array f32)))
  (let ((i (gpu/id)))
    (set-at! xs i (f32 (rem i 1000)))
    (set-at! ys i (f32 (rem i 7)))))

(defkernel saxpy ((a f32) (xs (array f32)) (ys (array f32)))
  (let ((i (gpu/id)))
    (set-at! ys i (+ (* a (at xs i)) (at ys i)))))

;; sums[j] = ys[j*chunk] + ... + ys[j*chunk + chunk - 1], as an integer.
(defkernel chunk-sums ((chunk i32) (ys (array f32)) (sums (array i32)))
  (let ((start (* (gpu/id) chunk))
        (end (min (+ start chunk) (len ys))))
    (set-at! sums (gpu/id)
      (loop ((i start) (total 0))
        (if (< i end)
            (recur (+ i 1) (+ total (i32 (at ys i))))
            total)))))

;; out[k] = ys[indices[k]]
(defkernel gather ((ys (array f32)) (indices (array i32)) (out (array f32)))
  (set-at! out (gpu/id) (at ys (at indices (gpu/id)))))

(def xs (gpu/buffer n :f32))
(def ys (gpu/buffer n :f32))
(gpu/run init xs ys :grid n)
(gpu/run saxpy a xs ys :grid n)

(def chunks (math/div (+ n chunk -1) chunk))
(def sums (gpu/buffer chunks :i32))
(gpu/run chunk-sums chunk ys sums :grid chunks)
(def total (list/reduce + 0 (gpu/to-list sums)))

(def picks (list 0 1 2 999 1000 (math/div n 2) (- n 1)))
(def picked (gpu/buffer (list/length picks) :f32))
(gpu/run gather ys (gpu/array picks :i32) picked :grid (list/length picks))

;; The same sum from a formula: sum of (i mod m) for i < n.
(defun sum-mod (n m)
  (let ((q (math/div n m)) (r (math/mod n m)))
    (+ (* q (math/div (* m (- m 1)) 2)) (math/div (* r (- r 1)) 2))))
(def expected (+ (* a (sum-mod n 1000)) (sum-mod n 7)))

(print "n =" n)
(print "y at" picks "=" (gpu/to-list picked))
(print "sum of y =" total)
(print "expected =" expected (if (== total expected) "(ok)" "(MISMATCH)"))
