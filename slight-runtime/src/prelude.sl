;; The prelude: builtins written in Slight, loaded into every VM after the Rust builtin table.
;; Higher-order list functions live here so their callbacks are ordinary VM calls: no Rust
;; recursion per element, the fast call path, and (later) a process can be suspended inside them.

(defun list/reduce (f acc lst)
  (%check-list lst "list/reduce" 3)
  (loop ((acc acc) (l lst))
    (if (empty? l) acc (recur (f acc (head l)) (tail l)))))

(defun list/map (f lst)
  (%check-list lst "list/map" 2)
  (loop ((out ()) (l lst))
    (if (empty? l)
        (list/reverse out)
        (recur (cons (f (head l)) out) (tail l)))))

(defun list/filter (f lst)
  (%check-list lst "list/filter" 2)
  (loop ((out ()) (l lst))
    (if (empty? l)
        (list/reverse out)
        (let ((x (head l)))
          (recur (if (f x) (cons x out) out) (tail l))))))
