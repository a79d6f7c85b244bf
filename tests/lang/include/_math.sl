; Included by include/basic.sl and others.
(defun square (x) (* x x))
(defmacro twice (e) `(begin ,e ,e))
(print "math loaded")
:math-done
