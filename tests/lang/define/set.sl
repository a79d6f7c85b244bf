(def counter 0)
(set! counter 5)
counter
(set! counter (+ counter 1))
counter
(set! nope 1)
(let ((x 1)) (set! x 2) x)
(let ((x 1)) (let ((x 2)) (set! x 3)) x)
(let ((x 1)) (let ((y 2)) (set! x (+ x y))) x)
(defun bump () (set! counter (+ counter 10)))
(bump)
counter
(defun double-param (p) (set! p (* p 2)) p)
(double-param 4)
(def v 1)
(defun shadow (v) (set! v 100) v)
(shadow 5)
v
(defun set-later () (set! defined-later 5))
(def defined-later 0)
(set-later)
defined-later
