; a form's own output comes before its => line
(defun noisy (x) (print "computing" x) (* x x))
(noisy 3)
(list (noisy 1) (noisy 2))
(begin (print "before error") (undefined-thing))
(print "after error")
