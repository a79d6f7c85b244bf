; string/concat redefined with two parameters: the build's three-argument call is an arity
; error at the call, on both paths (the compiled one appends in place only to the builtin).
(defun build (n)
  (loop ((i 0) (acc ""))
    (if (== i n)
        acc
        (recur (+ i 1) (string/concat acc "x" i)))))
(build 2)
(set! string/concat (lambda (a b) (list a b)))
(build 2)
