; Several processes run kernels and read results back at once; readback suspends only the
; process that waits, so the others keep running.
(defkernel square ((xs (array i32)))
  (let ((i (gpu/id)))
    (set-at! xs i (* (at xs i) (at xs i)))))
(defun worker (parent k)
  (let ((xs (gpu/array (list k (+ k 1) (+ k 2)) :i32)))
    (gpu/run square xs :grid 3)
    (send parent (list k (gpu/read xs)))))
(def me (self))
(list/map (fun (k) (spawn worker me k)) (list 1 10 100 1000))
(defun collect (n acc)
  (if (== n 0) acc (collect (- n 1) (cons (receive ((k r) (list k r))) acc))))
(list/sort (collect 4 (list)) (fun (a b) (< (list/head a) (list/head b))))
