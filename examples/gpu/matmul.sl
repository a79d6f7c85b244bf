;; Matrix multiply C = A x B of two square matrices with a Slight kernel.
;;
;; Shows: matrices built in Slight and uploaded with `gpu/array`, row-major indexing in a kernel,
;; an inner `loop`/`recur` over k that accumulates in an f32 local, one invocation per element
;; of C (a grid of n*n), and checking entries of the result against plain Slight code on the VM.
;;
;; Run it:
;;   cargo run --release -- run examples/gpu/matmul.sl                  (a GPU if there is one)
;;   SLIGHT_GPU=cpu cargo run --release -- run examples/gpu/matmul.sl   (the CPU fallback)
;;   cargo run --release -- run examples/gpu/matmul.sl 64               (n = 64 instead of 256)
;;
;; The entries of A and B are small integers (0..6 and -1..3), so every product and every partial
;; sum is an integer well below 2^24 and exact in f32: the output is identical on every back end
;; (only the `backend:` line differs).

(def args (sys/args))
(def n (if (empty? args) 256 (json/parse (head args))))   ; the matrices are n x n

(def info (gpu/info))
(print "backend:" (map/get info :backend) "-" (map/get info :adapter))

;; The entries, as functions of (row, column).
(defun a-at (i k) (math/mod (+ i (* 2 k)) 7))
(defun b-at (k j) (- (math/mod (+ (* 3 k) j) 5) 1))

;; Row-major lists of n*n numbers.
(defun matrix (f)
  (list/flatten (list/map (fun (i) (list/map (fun (j) (f i j)) (list/range n))) (list/range n))))

(def a (gpu/array (matrix a-at) :f32))
(def b (gpu/array (matrix b-at) :f32))
(def c (gpu/buffer (* n n) :f32))

;; c[row][col] = sum over k of a[row][k] * b[k][col]; invocation id = row*n + col.
(defkernel matmul ((n i32) (a (array f32)) (b (array f32)) (c (array f32)))
  (let ((row (/ (gpu/id) n))
        (col (rem (gpu/id) n)))
    (set-at! c (gpu/id)
      (loop ((k 0) (sum 0.0))
        (if (< k n)
            (recur (+ k 1) (+ sum (* (at a (+ (* row n) k)) (at b (+ (* k n) col)))))
            sum)))))

(gpu/run matmul n a b c :grid (* n n))
(def result (gpu/to-list c))

;; The same entries computed on the VM.
(defun entry (i j)
  (loop ((k 0) (sum 0))
    (if (< k n) (recur (+ k 1) (+ sum (* (a-at i k) (b-at k j)))) sum)))
(defun gpu-entry (i j) (math/trunc (list/nth result (+ (* i n) j))))

(def probes (list (list 0 0) (list 0 (- n 1)) (list 1 2) (list (math/div n 2) (math/div n 3))
                  (list (- n 1) 0) (list (- n 1) (- n 1))))
(def mismatches 0)
(print "n =" n)
(list/map (fun (p)
            (let ((i (head p)) (j (list/nth p 1)))
              (let ((want (entry i j)) (got (gpu-entry i j)))
                (unless (== want got) (set! mismatches (+ mismatches 1)))
                (print (string/format "C[{}][{}] = {} (VM: {})" i j got want)))))
          probes)

;; Checksums over all of C: the plain sum and a sum weighted by position (catches a transpose).
(def checks
  (loop ((xs result) (idx 0) (sum 0) (weighted 0))
    (if (empty? xs)
        (list sum weighted)
        (let ((v (math/trunc (head xs))))
          (recur (tail xs) (+ idx 1) (+ sum v) (+ weighted (* v (+ 1 (math/mod idx 13)))))))))
(print "sum of C =" (head checks))
(print "weighted sum of C =" (list/nth checks 1))
(print (if (== mismatches 0) "all probes match the VM" (string/format "{} probes DIFFER from the VM" mismatches)))
