; Arrays: creation, writing, reading back, len, gpu/size, out-of-bounds reads (0) and writes
; (ignored), and a grid smaller or larger than the arrays.
(def a (gpu/array (list 1 2 3 4 5) :i32))
a
(gpu/to-list a)
(gpu/write a (list 10 20 30 40 50))
(gpu/read a)
(gpu/read (gpu/buffer 3))
(gpu/read (gpu/buffer (list 1 2.5 -3) :f32))

(defkernel shift ((xs (array i32)) (out (array i32)))
  (let ((i (gpu/id)))
    (set-at! out i (+ (at xs (- i 1)) (at xs (+ i 100)) (len xs) (* 1000 (gpu/size))))
    (set-at! out (+ i 1000) 7)
    (set-at! out -1 7)))
(def out (gpu/buffer 8 :i32))
(gpu/run shift a out :grid 3)
(gpu/read out)
(gpu/run shift a out :grid 8)
(gpu/read out)
(gpu/run shift a out :grid 0)
(gpu/read out)

; A grid larger than one dispatch dimension holds (65535 workgroups of 64).
(defkernel fill ((out (array u32)))
  (set-at! out (gpu/id) (u32 (gpu/id))))
(def big (gpu/buffer 5000000 :u32))
(gpu/run fill big :grid 5000000)
(def contents (gpu/read big))
(list/nth contents 4999999)
(list/nth contents 4194304)
(list/length contents)

; Kernels and arrays are values.
(type/of a)
(type/of fill)
fill
(== a a)

; A kernel need not use all of its arrays.
(defkernel ignores ((unused (array f32)) (out (array i32))) (set-at! out (gpu/id) 5))
(def o (gpu/buffer 2 :i32))
(gpu/run ignores (gpu/buffer 1) o :grid 2)
(gpu/read o)
