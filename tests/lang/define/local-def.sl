; def inside a body defines a local and evaluates to the bound value
(defun f () (def a 5))
(f)
(defun g () (def b 2) (def c 3) (+ b c))
(g)
(defun h (x) (def y (* x 10)) (+ y 1))
(h 4)
a
(defun make () (defun inner (x) (* x 2)))
(make)
((make) 21)
inner
(defun local-helper (n)
  (defun add-one (k) (+ k 1))
  (add-one (add-one n)))
(local-helper 4)
